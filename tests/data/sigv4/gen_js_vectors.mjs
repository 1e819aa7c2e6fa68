// Generate SigV4 vectors with the AWS SDK for JavaScript v3 (a third,
// independent signer: @smithy/signature-v4).
//
//   mkdir /tmp/js && cd /tmp/js && npm install @aws-sdk/client-sts \
//       @aws-sdk/client-s3 @aws-sdk/s3-request-presigner
//   NODE_PATH=/tmp/js/node_modules node tests/data/sigv4/gen_js_vectors.mjs \
//       > tests/data/sigv4/vectors_js.jsonl
//
// Same line format as gen_vectors.py (signer "js-sdk-v3", no canonical
// request). The clock is pinned to 2015-08-30T12:36:00Z and requests never
// leave the process: a stub request handler records them.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH || ".", "x"));
const { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } =
    require("@aws-sdk/client-sts");
const { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } =
    require("@aws-sdk/client-s3");
const { getSignedUrl } = require("@aws-sdk/s3-request-presigner");

const FIXED = Date.UTC(2015, 7, 30, 12, 36, 0);
const RealDate = Date;
globalThis.Date = class extends RealDate {
    constructor(...a) { super(...(a.length ? a : [FIXED])); }
    static now() { return FIXED; }
};

const AKID = "AKIDEXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION = {
    accessKeyId: "ASIAFEDGATEEXAMPLE01",
    secretAccessKey: "9drTJvcXLB89EXAMPLELB8923FB892xMFI+/abcd",
    sessionToken: "FwoGZXIvYXdzEXAMPLE//////////wEaDFAKE+TOKEN/with=base64" +
        "+chars/and/slashes==",
};
const LONG_TERM = { accessKeyId: AKID, secretAccessKey: SECRET };
// Unsigned headers that change from run to run.
const PINNED = {
    "amz-sdk-invocation-id": "00000000-0000-4000-8000-000000000000",
    "user-agent": "aws-sdk-js (gen_js_vectors.mjs)",
    "x-amz-user-agent": "aws-sdk-js (gen_js_vectors.mjs)",
};

// @smithy/util-uri-escape, as the node HTTP handler builds the query.
const esc = (s) => encodeURIComponent(s).replace(/[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

function rawQuery(q) {
    const parts = [];
    for (const [k, v] of Object.entries(q || {})) {
        for (const one of Array.isArray(v) ? v : [v]) {
            parts.push(one === null ? esc(k) : esc(k) + "=" + esc(one));
        }
    }
    return parts.join("&");
}

const out = [];

function bodyHex(b) {
    if (b === undefined || b === null) return "";
    return Buffer.from(b).toString("hex");
}

function emit(name, service, req, payloadSigned) {
    const headers = Object.entries(req.headers).map(([k, v]) => [k, v]);
    const auth = req.headers.authorization;
    const signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";");
    for (const h of headers) {
        if (!signed.includes(h[0].toLowerCase()) && PINNED[h[0].toLowerCase()])
            h[1] = PINNED[h[0].toLowerCase()];
    }
    if (!headers.some(([k]) => k.toLowerCase() === "host"))
        headers.unshift(["host", req.hostname + (req.port ? ":" + req.port : "")]);
    out.push({
        signer: "js-sdk-v3", name: "js-sdk-v3: " + name, service,
        method: req.method, path: req.path, query: rawQuery(req.query),
        headers, body_hex: bodyHex(req.body), presigned: false,
        payload_signed: payloadSigned, authorization: auth,
        signature: auth.split("Signature=")[1], canonical_request: null,
    });
}

function stubClient(Cls, endpoint, credentials, extra = {}) {
    const cap = {};
    const client = new Cls({
        region: "us-east-1", endpoint, credentials, maxAttempts: 1,
        requestHandler: {
            handle: async (req) => { cap.req = req; throw new Error("stub"); },
        },
        ...extra,
    });
    return [client, cap];
}

async function send(client, cap, cmd) {
    cap.req = undefined;
    try { await client.send(cmd); } catch (e) { /* stub */ }
    if (!cap.req) throw new Error("no request captured");
    return cap.req;
}

async function main() {
    let [c, cap] = stubClient(STSClient, "https://sts.amazonaws.com", SESSION);
    emit("sts GetCallerIdentity", "sts",
        await send(c, cap, new GetCallerIdentityCommand({})), true);
    [c, cap] = stubClient(STSClient, "http://127.0.0.1:8080", LONG_TERM);
    emit("sts AssumeRole", "sts", await send(c, cap, new AssumeRoleCommand({
        RoleArn: "arn:aws:iam::111122223333:role/demo",
        RoleSessionName: "s1", ExternalId: "a b+c/d=e~f",
    })), true);

    [c, cap] = stubClient(S3Client, "http://127.0.0.1:9000", SESSION,
        { forcePathStyle: true });
    for (const key of ["uploads/user1/photo.jpg", "dir/with space/a b.txt",
        "unicode/\u00e9t\u00e9/\u6587\u4ef6.bin", "plus+sign/a+b",
        "odd/!$&'()*,;=:@.txt"]) {
        const req = await send(c, cap, new PutObjectCommand({
            Bucket: "uploads", Key: key, Body: Buffer.from("hello " + key),
        }));
        const sha = req.headers["x-amz-content-sha256"];
        emit("s3 PutObject " + key, "s3", req, sha !== "UNSIGNED-PAYLOAD");
    }
    emit("s3 ListObjectsV2", "s3", await send(c, cap, new ListObjectsV2Command({
        Bucket: "uploads", Prefix: "dir/with space/", Delimiter: "/",
        MaxKeys: 5,
    })), true);

    // Presigned URLs: parsed back into path and raw query.
    const s3 = new S3Client({ region: "us-east-1",
        endpoint: "http://127.0.0.1:9000", credentials: SESSION,
        forcePathStyle: true });
    for (const [Cmd, m, key, exp] of [
        [PutObjectCommand, "PUT", "uploads/user1/new file.txt", 900],
        [GetObjectCommand, "GET", "uploads/user1/\u00e9+~.txt", 604800]]) {
        const url = new URL(await getSignedUrl(s3,
            new Cmd({ Bucket: "uploads", Key: key }), { expiresIn: exp }));
        const q = url.search.slice(1);
        out.push({
            signer: "js-sdk-v3", name: "js-sdk-v3: s3 presigned " + m + " " + key,
            service: "s3", method: m, path: url.pathname, query: q,
            headers: [["host", url.host]],
            body_hex: m === "PUT" ? Buffer.from("presigned body").toString("hex") : "",
            presigned: true, payload_signed: false, authorization: null,
            signature: new URLSearchParams(q).get("X-Amz-Signature"),
            canonical_request: null,
        });
    }
    for (const v of out) console.log(JSON.stringify(v));
}

main().catch((e) => { console.error(e); process.exit(1); });
