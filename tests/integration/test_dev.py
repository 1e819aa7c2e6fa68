"""`fedgate dev`: the printed commands work exactly as printed."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

BIN = os.environ.get("FEDGATE_BIN", "build/gateway/fedgate")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DevMode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fedgate-devtest-")
        cls.port = free_port()
        cls.url = f"http://127.0.0.1:{cls.port}"
        cls.errf = open(os.path.join(cls.tmp, "stderr"), "w+")
        cls.outf = open(os.path.join(cls.tmp, "stdout"), "w+")
        cls.proc = subprocess.Popen(
            [BIN, "dev", "--port", str(cls.port), "--state-dir",
             os.path.join(cls.tmp, "state")],
            stdout=cls.outf, stderr=cls.errf)
        deadline = time.time() + 15
        while time.time() < deadline:
            cls.errf.seek(0)
            if "Ctrl-C stops" in cls.errf.read():
                return
            if cls.proc.poll() is not None:
                break
            time.sleep(0.1)
        cls.tearDownClass()
        raise RuntimeError("fedgate dev did not come up")

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                cls.proc.wait(10)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def printed(self):
        self.errf.seek(0)
        return self.errf.read()

    def run_printed(self, prefix):
        lines = [l.strip() for l in self.printed().splitlines()
                 if l.strip().startswith(prefix)]
        self.assertTrue(lines, f"no printed line starting with {prefix}")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": self.tmp, "AWS_EC2_METADATA_DISABLED": "true"}
        return [subprocess.run(["bash", "-c", l], capture_output=True,
                               text=True, env=env, timeout=60) for l in lines]

    def test_printed_aws_command_returns_credentials(self):
        results = self.run_printed("aws sts assume-role-with-web-identity")
        self.assertEqual(len(results), 2)  # dev-role and mobile-upload
        for r in results:
            self.assertEqual(r.returncode, 0, r.stderr)
            creds = json.loads(r.stdout)["Credentials"]
            self.assertRegex(creds["AccessKeyId"], r"^ASIA[A-Z2-7]{16}$")
            self.assertEqual(len(creds["SecretAccessKey"]), 40)
            self.assertTrue(creds["SessionToken"])

    def test_printed_curl_command_returns_xml(self):
        (r,) = self.run_printed("curl -s")
        self.assertEqual(r.returncode, 0)
        self.assertIn("<AssumeRoleWithWebIdentityResponse", r.stdout)
        self.assertIn("<AccessKeyId>ASIA", r.stdout)

    def test_mobile_role_needs_custom_claim(self):
        tok = urllib.request.urlopen(
            f"{self.url}/dev/idp/token?sub=user-1").read().decode()
        body = ("Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
                "&RoleArn=arn:aws:iam::000000000000:role/mobile-upload"
                "&RoleSessionName=phone&WebIdentityToken=" + tok).encode()
        try:
            urllib.request.urlopen(self.url + "/", body)
            self.fail("role admitted a token without app=photos")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 403)
            self.assertIn("<Code>AccessDenied</Code>", e.read().decode())
        # ...and the decision trace explains why, without the token.
        time.sleep(0.2)
        log = self.printed()
        self.assertIn("decision trace", log)
        self.assertNotIn(tok, log)

    def test_discovery_and_jwks(self):
        disc = json.load(urllib.request.urlopen(
            f"{self.url}/dev/idp/.well-known/openid-configuration"))
        self.assertEqual(disc["issuer"], f"{self.url}/dev/idp")
        jwks = json.load(urllib.request.urlopen(disc["jwks_uri"]))
        self.assertEqual(jwks["keys"][0]["kty"], "RSA")
        ready = json.load(urllib.request.urlopen(f"{self.url}/readyz"))
        self.assertEqual(ready["status"], "ready")

    def test_audit_lines_on_stdout(self):
        self.run_printed("curl -s")
        time.sleep(0.2)
        self.outf.seek(0)
        events = [json.loads(l) for l in self.outf.read().splitlines()
                  if l.startswith("{")]
        self.assertTrue(any(e["eventName"] == "AssumeRoleWithWebIdentity"
                            and e.get("errorCode") is None for e in events))
        for e in events:
            self.assertNotIn("SessionToken", json.dumps(e))


if __name__ == "__main__":
    unittest.main()
