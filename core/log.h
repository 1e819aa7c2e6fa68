/* core/log.h - OpenBSD-style logging to stderr */
#ifndef CORE_LOG_H
#define CORE_LOG_H

enum core_log_level { CORE_LOG_ERROR, CORE_LOG_WARN, CORE_LOG_INFO, CORE_LOG_DEBUG };

void core_log_init(enum core_log_level level);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* adds errno */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* CORE_LOG_H */
