// Drives the official Better Auth JS client (better-auth/client + jwtClient)
// against our server: sign-up -> sign-in -> get-session -> token -> JWKS
// verification -> account management (updateUser, listSessions,
// revokeSession, revokeOtherSessions, changePassword) -> sign-out ->
// get-session (null) -> revokeSessions -> requestPasswordReset +
// resetPassword and sendVerificationEmail + verifyEmail (the links read from
// the mail a real SMTP server received, saved as JSON in MAIL_DIR) ->
// deleteUser.
//
// Usage: AUTH_BASE_URL=http://localhost:18080 MAIL_DIR=/tmp/mail node client-flow.mjs
//
// Node's fetch has no cookie jar, so the client's fetchOptions hooks keep one:
// onResponse stores every Set-Cookie (and forgets expired ones), onRequest
// sends the stored cookies plus an Origin header equal to the base URL's
// origin, as a browser on that origin would.

import { createAuthClient } from "better-auth/client";
import { jwtClient } from "better-auth/client/plugins";
import { readdirSync, readFileSync } from "node:fs";
import { createLocalJWKSet, jwtVerify } from "jose";

const BASE = process.env.AUTH_BASE_URL;
if (!BASE) {
	console.error("FAIL: set AUTH_BASE_URL (e.g. http://localhost:18080)");
	process.exit(2);
}
const ORIGIN = new URL(BASE).origin;
const MAIL_DIR = process.env.MAIL_DIR;
if (!MAIL_DIR) {
	console.error("FAIL: set MAIL_DIR (where the SMTP catcher saves messages)");
	process.exit(2);
}
const VERBOSE = !!process.env.VERBOSE;

/** name -> value of every live cookie the server has set. */
const jar = new Map();
/** The last response any client call received (for headers and diagnostics). */
let lastResponse = null;
let lastRequest = null;

function storeSetCookies(response) {
	for (const line of response.headers.getSetCookie()) {
		const [pair, ...attrs] = line.split(";");
		const eq = pair.indexOf("=");
		if (eq < 0) continue;
		const name = pair.slice(0, eq).trim();
		const value = pair.slice(eq + 1).trim();
		const expired = attrs.some((a) => {
			const [k, v = ""] = a.trim().split("=");
			if (k.toLowerCase() === "max-age") return Number(v) <= 0;
			if (k.toLowerCase() === "expires") return Date.parse(v) <= Date.now();
			return false;
		});
		if (expired || value === "") jar.delete(name);
		else jar.set(name, value);
	}
}

const client = createAuthClient({
	baseURL: BASE,
	plugins: [jwtClient()],
	fetchOptions: {
		onRequest(ctx) {
			if (jar.size) ctx.headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
			ctx.headers.set("origin", ORIGIN);
			lastRequest = ctx;
			if (VERBOSE) {
				console.error(`  > ${ctx.method} ${ctx.url}`);
				ctx.headers.forEach((v, k) => console.error(`  >   ${k}: ${v}`));
				if (ctx.body) console.error(`  >   body: ${ctx.body}`);
			}
			return ctx;
		},
		onResponse(ctx) {
			storeSetCookies(ctx.response);
			lastResponse = ctx.response;
			if (VERBOSE) {
				console.error(`  < ${ctx.response.status}`);
				ctx.response.headers.forEach((v, k) => console.error(`  <   ${k}: ${v}`));
			}
		},
	},
});

let step = 0;
function ok(msg) {
	console.log(`ok ${++step} - ${msg}`);
}
function fail(msg, extra) {
	console.log(`FAIL ${++step} - ${msg}`);
	if (lastRequest) {
		console.log(`  request: ${lastRequest.method} ${lastRequest.url}`);
		const h = {};
		lastRequest.headers.forEach((v, k) => (h[k] = v));
		console.log(`  request headers: ${JSON.stringify(h)}`);
		if (lastRequest.body) console.log(`  request body: ${lastRequest.body}`);
	}
	if (lastResponse) console.log(`  response status: ${lastResponse.status}`);
	if (extra !== undefined) console.log(`  detail: ${typeof extra === "string" ? extra : JSON.stringify(extra)}`);
	process.exit(1);
}
/** Unwraps a { data, error } result, failing the run on error. */
function expectData(res, what) {
	if (res.error) fail(`${what}: server returned an error`, res.error);
	return res.data;
}

const email = `compat-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
const password = "compat-Password-123!";
const name = "Compat Tester";

// 1. sign up
{
	const data = expectData(await client.signUp.email({ name, email, password }), "signUp.email");
	if (data?.user?.email !== email) fail("signUp.email: response has no matching user.email", data);
	ok(`signUp.email created ${email} (user id ${data.user.id}, token ${data.token ? "present" : "null"})`);
}

// Start sign-in from a clean jar, so the session really comes from sign-in.
jar.clear();

// 2. sign in
{
	const data = expectData(await client.signIn.email({ email, password, rememberMe: true }), "signIn.email");
	if (data?.user?.email !== email) fail("signIn.email: response has no matching user.email", data);
	if (!jar.has("better-auth.session_token")) fail("signIn.email: no better-auth.session_token cookie was set", [...jar.keys()]);
	ok(`signIn.email ok; cookies now: ${[...jar.keys()].join(", ")}`);
}

// 3. get session (+ set-auth-jwt header, as documented for the JWT plugin)
let headerJwt = null;
{
	const res = await client.getSession({
		fetchOptions: {
			onSuccess(ctx) {
				headerJwt = ctx.response.headers.get("set-auth-jwt");
			},
		},
	});
	const data = expectData(res, "getSession");
	if (!data) fail("getSession: returned null while signed in");
	if (data.user?.email !== email) fail("getSession: user.email mismatch", data);
	if (!data.session?.id) fail("getSession: session object lacks id", data.session);
	if (data.session.userId !== data.user.id) fail("getSession: session.userId does not match user.id", data);
	if (!(data.session.expiresAt instanceof Date)) fail("getSession: session.expiresAt was not parsed as a date", data.session);
	// Better Auth's Session type has `token`; the server stores only a hash of it, so it is
	// reported here rather than asserted (no client code path reads it at runtime).
	const tokenNote = "token" in data.session ? "present" : "absent";
	ok(`getSession user=${data.user.email} session=${data.session.id} session.token=${tokenNote} set-auth-jwt=${headerJwt ? "present" : "absent"}`);
}

// 4. token (jwtClient; /token is not a plugin action, so the client's proxy issues GET /token)
let token;
{
	const data = expectData(await client.token(), "token");
	token = data?.token;
	if (typeof token !== "string" || token.split(".").length !== 3) fail("token: response has no compact JWT in .token", data);
	ok(`token returned a JWT (${token.length} chars)`);
}

// 5. JWKS + signature verification with jose
{
	const res = await fetch(`${ORIGIN}/api/auth/jwks`);
	if (!res.ok) fail(`GET /api/auth/jwks answered ${res.status}`, await res.text());
	const jwks = await res.json();
	if (!Array.isArray(jwks?.keys) || jwks.keys.length === 0) fail("jwks: no keys", jwks);
	const keySet = createLocalJWKSet(jwks);
	const verified = [];
	for (const [label, jwt] of [
		["token", token],
		["set-auth-jwt", headerJwt],
	]) {
		if (!jwt) continue;
		try {
			const { payload, protectedHeader } = await jwtVerify(jwt, keySet, { issuer: ORIGIN, audience: ORIGIN });
			if (payload.email !== undefined && payload.email !== email) fail(`${label}: JWT email claim mismatch`, payload);
			verified.push(`${label} (alg ${protectedHeader.alg}, kid ${protectedHeader.kid}, sub ${payload.sub})`);
		} catch (e) {
			fail(`${label}: JWT verification failed: ${e.code ?? ""} ${e.message}`);
		}
	}
	ok(`jwks has ${jwks.keys.length} key(s); verified iss/aud=${ORIGIN}: ${verified.join("; ")}`);
}

/** Signs in as another device (its own cookie, outside the client's jar). */
async function otherDevice(pw = password) {
	const res = await fetch(`${ORIGIN}/api/auth/sign-in/email`, {
		method: "POST",
		headers: { "content-type": "application/json", origin: ORIGIN, "user-agent": "compat-other-device" },
		body: JSON.stringify({ email, password: pw }),
	});
	if (!res.ok) fail(`other device sign-in answered ${res.status}`, await res.text());
	return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}
/** Whether a device's cookie is still a session. */
async function deviceSignedIn(cookie) {
	const res = await fetch(`${ORIGIN}/api/auth/get-session`, { headers: { cookie } });
	return (await res.json()) !== null;
}

// 5a. updateUser
{
	const data = expectData(await client.updateUser({ name: "Compat Renamed" }), "updateUser");
	if (data?.status !== true) fail("updateUser: expected { status: true }", data);
	const session = expectData(await client.getSession(), "getSession after updateUser");
	if (session?.user?.name !== "Compat Renamed") fail("updateUser: the new name is not in getSession", session);
	ok("updateUser renamed the user; getSession shows it");
}

// 5b. listSessions + revokeSession
{
	const phone = await otherDevice();
	const sessions = expectData(await client.listSessions(), "listSessions");
	// The sign-up's session, this device's (sign-in) and the phone's, newest first.
	if (!Array.isArray(sessions) || sessions.length !== 3) fail("listSessions: expected three sessions", sessions);
	const phoneSession = sessions[0];
	if (phoneSession.userAgent !== "compat-other-device") fail("listSessions: the phone's session is not first", sessions);
	const current = expectData(await client.getSession(), "getSession before revokeSession");
	if (!sessions.some((s) => s.id === current.session.id)) fail("listSessions: this device is missing", sessions);
	const rawToken = decodeURIComponent(jar.get("better-auth.session_token")).split(".")[0];
	if (sessions.some((s) => s.token === rawToken)) fail("listSessions: a raw session token was listed", sessions);
	if (!(phoneSession.expiresAt instanceof Date)) fail("listSessions: expiresAt was not parsed as a date", phoneSession);
	const data = expectData(await client.revokeSession({ token: phoneSession.token }), "revokeSession");
	if (data?.status !== true) fail("revokeSession: expected { status: true }", data);
	if (await deviceSignedIn(phone)) fail("revokeSession: the other device is still signed in");
	if (!expectData(await client.getSession(), "getSession after revokeSession")) fail("revokeSession signed this device out");
	ok(`listSessions listed ${sessions.length} sessions; revokeSession signed the other device out`);
}

// 5c. revokeOtherSessions
{
	const phone = await otherDevice();
	const data = expectData(await client.revokeOtherSessions(), "revokeOtherSessions");
	if (data?.status !== true) fail("revokeOtherSessions: expected { status: true }", data);
	if (await deviceSignedIn(phone)) fail("revokeOtherSessions: the other device is still signed in");
	if (!expectData(await client.getSession(), "getSession after revokeOtherSessions")) fail("revokeOtherSessions signed this device out");
	ok("revokeOtherSessions kept this device and signed the other out");
}

// 5d. changePassword with revokeOtherSessions
const newPassword = "compat-Changed-456!";
{
	const phone = await otherDevice();
	const before = jar.get("better-auth.session_token");
	const wrong = await client.changePassword({ currentPassword: "not-the-password", newPassword });
	if (wrong.error?.code !== "INVALID_PASSWORD") fail("changePassword with a wrong current password: expected INVALID_PASSWORD", wrong.error);
	const data = expectData(
		await client.changePassword({ currentPassword: password, newPassword, revokeOtherSessions: true }),
		"changePassword",
	);
	if (typeof data?.token !== "string" || data.user?.email !== email) fail("changePassword: expected { token, user }", data);
	if (jar.get("better-auth.session_token") === before) fail("changePassword: no new session cookie");
	if (await deviceSignedIn(phone)) fail("changePassword: the other device is still signed in");
	if (!expectData(await client.getSession(), "getSession after changePassword")) fail("changePassword: the new cookie is no session");
	ok("changePassword refused a wrong current password, then changed it and replaced every session");
}

// 6. sign out
const oldSessionCookie = jar.get("better-auth.session_token");
{
	const data = expectData(await client.signOut(), "signOut");
	if (data?.success !== true) fail("signOut: expected { success: true }", data);
	if (jar.has("better-auth.session_token")) fail("signOut: session cookie was not cleared");
	ok(`signOut ok; cookies left: ${[...jar.keys()].join(", ") || "(none)"}`);
}

// 7. session is gone
{
	const data = expectData(await client.getSession(), "getSession after signOut");
	if (data !== null) fail("getSession after signOut: expected null", data);
	ok("getSession after signOut returned null");
}

// 8. the signed-out session token is revoked server-side, not just forgotten
{
	jar.set("better-auth.session_token", oldSessionCookie);
	const data = expectData(await client.getSession(), "getSession with the old session cookie");
	if (data !== null) fail("getSession with the signed-out session cookie: expected null", data);
	jar.delete("better-auth.session_token");
	ok("getSession with the signed-out session cookie returned null");
}

// 9. revokeSessions signs every device out
{
	expectData(await client.signIn.email({ email, password: newPassword }), "signIn.email with the new password");
	const phone = await otherDevice(newPassword);
	const data = expectData(await client.revokeSessions(), "revokeSessions");
	if (data?.status !== true) fail("revokeSessions: expected { status: true }", data);
	if (jar.has("better-auth.session_token")) fail("revokeSessions: this device's cookie was not cleared");
	if (await deviceSignedIn(phone)) fail("revokeSessions: the other device is still signed in");
	ok("revokeSessions signed both devices out");
}

/** The mails with `subject` to `address` so far, oldest first. */
function mailsTo(address, subject) {
	return readdirSync(MAIL_DIR)
		.filter((n) => n.endsWith(".json") && !n.startsWith("."))
		.sort()
		.map((n) => JSON.parse(readFileSync(`${MAIL_DIR}/${n}`, "utf8")))
		.filter((m) => m.to.includes(address) && m.subject === subject);
}
/** Waits (at most 20 s) for mail number `n` with `subject`; its one link. */
async function nthMailLink(address, subject, n) {
	const deadline = Date.now() + 20_000;
	for (;;) {
		const mails = mailsTo(address, subject);
		if (mails.length >= n) {
			const urls = mails[n - 1].text.split(/\s+/).filter((w) => w.includes("://"));
			if (urls.length !== 1) fail(`"${subject}": expected one link in the text part`, mails[n - 1].text);
			return new URL(urls[0]);
		}
		if (Date.now() > deadline) fail(`"${subject}" mail ${n} to ${email} never arrived`, mails.length);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

// 9a. requestPasswordReset -> the mailed link -> resetPassword (signed out)
const resetPassword = "compat-Reset-789!";
{
	const data = expectData(
		await client.requestPasswordReset({ email, redirectTo: `${ORIGIN}/reset-password` }),
		"requestPasswordReset",
	);
	if (data?.status !== true) fail("requestPasswordReset: expected { status: true }", data);
	const link = await nthMailLink(email, "Reset your password", 1);
	if (!link.pathname.startsWith("/api/auth/reset-password/")) fail("the reset mail links elsewhere", link.href);
	const landed = await fetch(link, { redirect: "manual" });
	const location = new URL(landed.headers.get("location") ?? "", ORIGIN);
	const token = location.searchParams.get("token");
	if (landed.status !== 302 || location.pathname !== "/reset-password" || !token)
		fail("the reset link: expected a 302 to /reset-password?token=", [landed.status, location.href]);
	const done = expectData(await client.resetPassword({ newPassword: resetPassword, token }), "resetPassword");
	if (done?.status !== true) fail("resetPassword: expected { status: true }", done);
	const reused = await client.resetPassword({ newPassword: "compat-Again-000!", token });
	if (reused.error?.code !== "INVALID_TOKEN") fail("resetPassword twice: expected INVALID_TOKEN", reused.error);
	const old = await client.signIn.email({ email, password: newPassword });
	if (old.error?.status !== 401) fail("signIn with the password before the reset: expected 401", old.error ?? old.data);
	expectData(await client.signIn.email({ email, password: resetPassword }), "signIn.email with the reset password");
	ok("requestPasswordReset mailed a link; resetPassword set the password once; the old one is refused");
}

// 9b. sendVerificationEmail -> the mailed link's token -> verifyEmail
{
	const before = expectData(await client.getSession(), "getSession before verifyEmail");
	if (before.user.emailVerified !== false) fail("a new user should not be verified yet", before.user);
	const sent = mailsTo(email, "Verify your email address").length; // sign-up's
	const data = expectData(
		await client.sendVerificationEmail({ email, callbackURL: `${ORIGIN}/tasks` }),
		"sendVerificationEmail",
	);
	if (data?.status !== true) fail("sendVerificationEmail: expected { status: true }", data);
	const link = await nthMailLink(email, "Verify your email address", sent + 1);
	const token = link.searchParams.get("token");
	if (link.pathname !== "/api/auth/verify-email" || !token) fail("the verification mail links elsewhere", link.href);
	const verified = expectData(await client.verifyEmail({ query: { token } }), "verifyEmail");
	if (verified?.status !== true) fail("verifyEmail: expected { status: true }", verified);
	const after = expectData(await client.getSession(), "getSession after verifyEmail");
	if (after.user.emailVerified !== true) fail("verifyEmail: the user is not verified", after.user);
	ok("sendVerificationEmail mailed a link; verifyEmail verified the address");
}

// 10. deleteUser
{
	const wrong = await client.deleteUser({ password: "not-the-password" });
	if (wrong.error?.code !== "INVALID_PASSWORD") fail("deleteUser with a wrong password: expected INVALID_PASSWORD", wrong.error);
	const data = expectData(await client.deleteUser({ password: resetPassword }), "deleteUser");
	if (data?.success !== true) fail("deleteUser: expected { success: true }", data);
	const again = await client.signIn.email({ email, password: resetPassword });
	if (again.error?.status !== 401) fail("signIn after deleteUser: expected 401", again.error ?? again.data);
	ok("deleteUser refused a wrong password, then deleted the user; sign-in is refused");
}

console.log("PASS: full Better Auth client flow succeeded");
