// sts_client.mjs - one STS call with the AWS SDK for JavaScript v3.
//
// Usage: node sts_client.mjs ENDPOINT OPERATION [JSON-INPUT]
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN (the SDK's own environment provider), the region from
// AWS_REGION. Prints {"ok": true, "output": ...} or
// {"ok": false, "name": ..., "status": ..., "message": ...} on stdout.
import {
	STSClient, GetCallerIdentityCommand, AssumeRoleCommand,
	GetSessionTokenCommand,
} from "@aws-sdk/client-sts";

const commands = {
	GetCallerIdentity: GetCallerIdentityCommand,
	AssumeRole: AssumeRoleCommand,
	GetSessionToken: GetSessionTokenCommand,
};

const [endpoint, op, input] = process.argv.slice(2);
const client = new STSClient({ endpoint, maxAttempts: 1 });
try {
	const out = await client.send(
	    new commands[op](input ? JSON.parse(input) : {}));
	delete out.$metadata.attempts;
	delete out.$metadata.totalRetryDelay;
	console.log(JSON.stringify({ ok: true, output: out }));
} catch (e) {
	console.log(JSON.stringify({
		ok: false, name: e.name, message: e.message,
		status: e.$metadata ? e.$metadata.httpStatusCode : null,
	}));
}
