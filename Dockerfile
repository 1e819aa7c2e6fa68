# syntax=docker/dockerfile:1
#
# fedgate container image: build on Debian 12 with the -dev packages, run on
# debian:12-slim with only the shared libraries, as a non-root user.
#
#   docker build -t fedgate .
#   docker run --rm -p 8080:8080 -v fedgate-state:/var/lib/fedgate fedgate
#
# Mount your own config over /etc/fedgate/fedgate.yaml; it must listen on
# 0.0.0.0:8080 (or another port you publish) and keep
# state_dir: /var/lib/fedgate so the key ring survives in the volume.

########## build stage ##########
FROM debian:12 AS build

# Unit tests are skipped when cmocka is absent; the image does not run them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        gcc libc6-dev pkg-config meson ninja-build \
        libmicrohttpd-dev libcjose-dev libssl-dev libcurl4-openssl-dev \
        libjansson-dev libyaml-dev liblasso3-dev libxmlsec1-dev libhiredis-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
RUN meson setup /build -Dbuildtype=release \
 && ninja -C /build gateway/fedgate \
 && install -D -m 0755 -s /build/gateway/fedgate /out/usr/local/bin/fedgate

# The container's default config. conf/fedgate.example.yaml is a reference
# that cannot run as is (it listens on loopback only and names a JWKS file
# that does not exist), so it is shipped next to a minimal config that
# starts, listens on all interfaces and keeps the key ring in the volume;
# `fedgate check` proves the default config at build time.
RUN install -d -m 0755 /out/etc/fedgate \
 && install -m 0644 conf/fedgate.example.yaml \
        /out/etc/fedgate/fedgate.example.yaml \
 && printf '%s\n' \
        '# fedgate container default: listens on all interfaces, no providers' \
        '# or roles yet. Mount your own config over this file; the annotated' \
        '# reference is /etc/fedgate/fedgate.example.yaml.' \
        'listen: 0.0.0.0:8080' \
        'state_dir: /var/lib/fedgate' \
        'store: memory' \
        'audit_log: stdout' \
        'providers: []' \
        'roles: []' >/out/etc/fedgate/fedgate.yaml \
 && chmod 0644 /out/etc/fedgate/fedgate.yaml \
 && /out/usr/local/bin/fedgate check -c /out/etc/fedgate/fedgate.yaml

########## runtime stage ##########
FROM debian:12-slim

# Runtime libraries only (package names checked against bookworm), plus
# curl for the HEALTHCHECK and CA certificates for JWKS/discovery fetches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libcjose0 libssl3 libcurl4 libjansson4 libyaml-0-2 \
        liblasso3 libxmlsec1-openssl libxml2 libhiredis0.14 zlib1g \
        ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*

# Fixed ids so volume ownership is predictable across rebuilds.
RUN groupadd --system --gid 10001 fedgate \
 && useradd --system --uid 10001 --gid fedgate --no-create-home \
        --home-dir /var/lib/fedgate --shell /usr/sbin/nologin fedgate \
 && install -d -m 0700 -o fedgate -g fedgate /var/lib/fedgate \
 && install -d -m 0755 -o root -g root /etc/fedgate

COPY --from=build /out/usr/local/bin/fedgate /usr/local/bin/fedgate
# The config stays root-owned and read-only for the service user.
COPY --from=build /out/etc/fedgate/ /etc/fedgate/

USER fedgate:fedgate
WORKDIR /var/lib/fedgate
VOLUME ["/var/lib/fedgate"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1

ENTRYPOINT ["/usr/local/bin/fedgate"]
CMD ["serve", "-c", "/etc/fedgate/fedgate.yaml"]
