"""`fedgate check` and `fedgate serve` on good and bad configs: every
problem reported as FILE:LINE: message with the right line, exit codes,
no listening on a bad config, clean SIGTERM shutdown."""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

import fedgate_harness as H

CLI_TIMEOUT = 15

GOOD = """\
# fedgate test config
listen: 127.0.0.1:{port}
public_url: http://127.0.0.1:{port}
account_id: "111122223333"
state_dir: {tmp}/state
clock_skew_seconds: 60  #@SKEW
audit_log: {tmp}/audit.jsonl
providers:
  - name: testidp
    type: oidc
    issuer: http://127.0.0.1:{idp}/oidc  #@ISSUER
    audiences: ["test-client"]
    algorithms: [RS256, ES256, PS256]  #@ALGS
    jwks_min_refetch_seconds: 1
roles:
  - name: web-role
    max_session_duration: 7200  #@MAXDUR
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow  #@EFFECT
          Principal: {{Federated: "arn:aws:iam::111122223333:oidc-provider/127.0.0.1:{idp}/oidc"}}
          Action: sts:AssumeRoleWithWebIdentity
          Condition:
            StringEquals: {{"127.0.0.1:{idp}/oidc:aud": "test-client"}}  #@COND
            StringLike: {{"127.0.0.1:{idp}/oidc:sub": "user-*"}}
"""


def line_of(text, marker):
    for i, line in enumerate(text.splitlines(), 1):
        if line.rstrip().endswith(marker):
            return i
    raise KeyError(marker)


class ConfigCase(unittest.TestCase):
    def setUp(self):
        self.bin = H.fedgate_bin()
        self.tmp = tempfile.mkdtemp(prefix="fedgate-cfg-")
        self.port = H.free_port()
        self.idp_port = H.free_port()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def good(self):
        return GOOD.format(port=self.port, tmp=self.tmp, idp=self.idp_port)

    def write(self, text, name="fedgate.yaml"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, text, name="fedgate.yaml"):
        path = self.write(text, name)
        p = subprocess.run([self.bin, "check", "-c", path],
                           capture_output=True, text=True,
                           timeout=CLI_TIMEOUT)
        self.no_sanitizer_report(p.stderr)
        return path, p

    def no_sanitizer_report(self, text):
        for m in H.SANITIZER_MARKS:
            self.assertNotIn(m, text)

    def problems(self, path, stderr):
        """{line: [messages]} from FILE:LINE: message lines."""
        out = {}
        pat = re.compile(re.escape(path) + r":(\d+): (.+)\Z")
        for line in stderr.splitlines():
            m = pat.match(line.strip())
            if m:
                out.setdefault(int(m.group(1)), []).append(m.group(2))
        return out

    @staticmethod
    def policy_lines(text, marker):
        """Lines from `trust_policy:` down to the marked line: a policy
        problem may be reported at either."""
        start = line_of(text, "trust_policy:")
        return range(start, line_of(text, marker) + 1)

    def assert_problem_at(self, path, p, lines, words=()):
        """Exit 1 and a FILE:LINE: message at one of `lines`."""
        self.assertEqual(p.returncode, 1, p.stderr)
        probs = self.problems(path, p.stderr)
        hit = [m for ln in lines for m in probs.get(ln, [])]
        self.assertTrue(hit, f"no {path}:{lines}: message in:\n{p.stderr}")
        for w in words:
            self.assertTrue(any(w.lower() in m.lower() for m in hit),
                            f"{w!r} not in {hit}")
        return probs


class TestCheck(ConfigCase):
    def test_valid_yaml(self):
        path, p = self.check(self.good())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.problems(path, p.stderr), {})

    def test_valid_json(self):
        cfg = H.base_config(self.port, self.tmp,
                            f"http://127.0.0.1:{self.idp_port}/oidc")
        path, p = self.check(json.dumps(cfg, indent=2), "fedgate.json")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_unknown_key(self):
        text = self.good().replace("clock_skew_seconds: 60  #@SKEW\n",
                                   "clock_skew_seconds: 60  #@SKEW\n"
                                   "listne: 127.0.0.1:1  #@UNK\n")
        path, p = self.check(text)
        self.assert_problem_at(path, p, [line_of(text, "#@UNK")],
                               ["listne"])

    def test_unknown_nested_key(self):
        text = self.good().replace("    jwks_min_refetch_seconds: 1\n",
                                   "    jwks_ur1: http://x  #@UNK\n")
        path, p = self.check(text)
        self.assert_problem_at(path, p, [line_of(text, "#@UNK")],
                               ["jwks_ur1"])

    def test_alg_none(self):
        text = self.good().replace("[RS256, ES256, PS256]",
                                   "[RS256, none]")
        path, p = self.check(text)
        self.assert_problem_at(path, p, [line_of(text, "#@ALGS")],
                               ["none"])

    def test_hmac_alg_refused(self):
        text = self.good().replace("[RS256, ES256, PS256]", "[HS256]")
        path, p = self.check(text)
        self.assert_problem_at(path, p, [line_of(text, "#@ALGS")])

    def test_malformed_trust_policy(self):
        text = self.good().replace("Effect: Allow  #@EFFECT",
                                   "Effect: Maybe  #@EFFECT")
        path, p = self.check(text)
        # the Effect line, or the trust_policy that holds it
        self.assert_problem_at(path, p, self.policy_lines(text, "#@EFFECT"),
                               ["Effect"])

    def test_unknown_condition_operator(self):
        text = self.good().replace("StringEquals: {", "StringEqualz: {")
        path, p = self.check(text)
        self.assert_problem_at(path, p, self.policy_lines(text, "#@COND"),
                               ["StringEqualz"])

    def test_bad_max_session_duration(self):
        for v in ("100", "50000", "abc"):
            with self.subTest(v=v):
                text = self.good().replace(
                    "max_session_duration: 7200",
                    f"max_session_duration: {v}")
                path, p = self.check(text)
                self.assert_problem_at(
                    path, p, [line_of(text, "#@MAXDUR")])

    def test_http_issuer_off_loopback(self):
        text = self.good().replace(
            f"issuer: http://127.0.0.1:{self.idp_port}/oidc",
            "issuer: http://idp.example.com/oidc")
        path, p = self.check(text)
        self.assert_problem_at(path, p, [line_of(text, "#@ISSUER")])

    def test_duplicate_key(self):
        text = self.good().replace("clock_skew_seconds: 60  #@SKEW\n",
                                   "clock_skew_seconds: 60  #@SKEW\n"
                                   "clock_skew_seconds: 30  #@DUP\n")
        path, p = self.check(text)
        self.assert_problem_at(path, p, [line_of(text, "#@DUP"),
                                         line_of(text, "#@SKEW")])

    def test_several_errors_all_reported(self):
        text = self.good()
        text = text.replace("clock_skew_seconds: 60  #@SKEW\n",
                            "clock_skew_seconds: 60  #@SKEW\n"
                            "bogus_top: 1  #@UNK\n")
        text = text.replace("[RS256, ES256, PS256]", "[none]")
        text = text.replace("max_session_duration: 7200",
                            "max_session_duration: 99")
        path, p = self.check(text)
        self.assertEqual(p.returncode, 1, p.stderr)
        probs = self.problems(path, p.stderr)
        want = {line_of(text, m) for m in ("#@UNK", "#@ALGS", "#@MAXDUR")}
        self.assertTrue(want <= set(probs),
                        f"want lines {sorted(want)}, got:\n{p.stderr}")

    def test_yaml_syntax_error(self):
        text = self.good().replace('audiences: ["test-client"]',
                                   'audiences: ["test-client"  #@SYN')
        path, p = self.check(text)
        self.assertEqual(p.returncode, 1, p.stderr)
        ln = line_of(text, "#@SYN")
        probs = self.problems(path, p.stderr)
        self.assertTrue(probs, p.stderr)
        self.assertTrue(any(ln <= k <= ln + 3 for k in probs), p.stderr)

    def test_missing_file(self):
        p = subprocess.run([self.bin, "check", "-c",
                            os.path.join(self.tmp, "nope.yaml")],
                           capture_output=True, text=True,
                           timeout=CLI_TIMEOUT)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nope.yaml", p.stderr)


class TestServe(ConfigCase):
    def serve(self, path):
        out = open(os.path.join(self.tmp, "serve.log"), "wb")
        p = subprocess.Popen([self.bin, "serve", "-c", path],
                             stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
        out.close()
        self.procs.append(p)
        return p

    def log(self):
        with open(os.path.join(self.tmp, "serve.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def test_bad_config_refuses_to_start(self):
        text = self.good().replace("[RS256, ES256, PS256]", "[none]")
        p = self.serve(self.write(text))
        deadline = time.monotonic() + 10
        listened = False
        while p.poll() is None and time.monotonic() < deadline:
            listened = listened or H.port_open(self.port)
            time.sleep(0.05)
        self.assertIsNotNone(p.poll(), "serve kept running on a bad config")
        self.assertNotEqual(p.returncode, 0)
        self.assertFalse(listened or H.port_open(self.port),
                         "serve listened with a bad config")
        self.assertRegex(self.log(), r"fedgate\.yaml:\d+: ")
        self.no_sanitizer_report(self.log())

    def test_sigterm_clean_exit(self):
        path = self.write(self.good())
        p = self.serve(path)
        deadline = time.monotonic() + 10
        ready = False
        while time.monotonic() < deadline and p.poll() is None:
            try:
                if H.http_request(self.port, "GET", "/healthz",
                                  timeout=1).status == 200:
                    ready = True
                    break
            except OSError:
                pass
            time.sleep(0.05)
        self.assertTrue(ready, self.log())
        st = os.stat(os.path.join(self.tmp, "state"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(5)
        except subprocess.TimeoutExpired:
            self.fail("fedgate did not exit within 5 s of SIGTERM")
        self.assertEqual(rc, 0, self.log())
        self.assertFalse(H.port_open(self.port))
        self.no_sanitizer_report(self.log())


if __name__ == "__main__":
    unittest.main()
