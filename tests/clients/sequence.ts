// A frontend developer's program: a client generated from the example site's
// OpenAPI schema by openapi-typescript, used with openapi-fetch, runs the
// whole sequence: list, provision, use the new token, look it up, ask which
// token it is, rotate it, see the old one refused, revoke the new one, and
// see it refused. tests/test_generated_clients.py type-checks it with
// `tsc --noEmit --strict`, then runs it against a live site.
//
// Environment: API_BASE_URL (the site, e.g. http://127.0.0.1:8000), API_TOKEN
// (a read_write token), TOKEN_NAME (a name for the token to make). Prints one
// JSON line saying what it saw; a failed expectation exits non-zero.

import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Token = components["schemas"]["PersonalAccessToken"];
type ApiError = components["schemas"]["PersonalAccessTokenError"];

const LIST = "/api/personal-access-tokens";
const ONE = "/api/personal-access-tokens/{token_id}";
const ROTATE = "/api/personal-access-tokens/{token_id}/rotate";
const SELF = "/api/personal-access-tokens/self";

function setting(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`set ${name}`);
  }
  return value;
}

function expect(condition: boolean, what: string): asserts condition {
  if (!condition) {
    throw new Error(`expected ${what}`);
  }
}

const baseUrl = setting("API_BASE_URL");
const name = setting("TOKEN_NAME");
const api = createClient<paths>({
  baseUrl,
  headers: { Authorization: `Bearer ${setting("API_TOKEN")}` },
});

// List: always an array, whatever the filters.
const listed = await api.GET(LIST, { params: { query: { active: true, limit: 10 } } });
expect(listed.data !== undefined, `a list, got ${listed.response.status}`);
const before: Token[] = listed.data;

// Provision with nothing but a name: the server fills in the rest.
const made = await api.POST(LIST, { body: { name } });
expect(made.data !== undefined, `a token, got ${JSON.stringify(made.error)}`);
const token: Token = made.data;
expect(token.token !== null, "the secret in the provisioning response");
const secret: string = token.token;

// The same name again: a 400 whose body is typed too.
const clash = await api.POST(LIST, { body: { name } });
const refused: ApiError | undefined = clash.error;
expect(refused?.status === 400, "a 400 for a name in use");
expect((refused.errors?.name ?? []).length > 0, "errors.name");

// Use the new token: look itself up. The secret is never shown again.
const own = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${secret}` } });
const got = await own.GET(ONE, { params: { path: { token_id: token.id } } });
expect(got.data?.name === name, "the token under its own name");
expect(got.data.token === null, "no secret outside the provisioning response");

// Which token is this? The one the request came with.
const itself = await own.GET(SELF);
expect(itself.data?.id === token.id, "self, the calling token");
expect(itself.data.token === null && itself.data.state === "active", "self, active, no secret");
expect(typeof itself.data.lastUsedIp === "string", "self, the address it was used from");

// The token rotates itself: a new secret; the old one is refused at once.
const rotation = await own.POST(ROTATE, { params: { path: { token_id: token.id } }, body: {} });
expect(rotation.data !== undefined, `a rotated token, got ${JSON.stringify(rotation.error)}`);
const rotated: Token = rotation.data;
expect(rotated.previousId === token.id && rotated.name === name, "the successor, named alike");
expect(rotated.token !== null && rotated.token !== secret, "a new secret");
const oldRefused = await own.GET(SELF);
expect(oldRefused.response.status === 401, "a 401 for the rotated token");
const old = await api.GET(ONE, { params: { path: { token_id: token.id } } });
expect(old.data?.state === "revoked", "the old token, revoked");
expect(old.data.revokedReason === "rotated", "revoked because it was rotated");
const again = await api.POST(ROTATE, { params: { path: { token_id: token.id } } });
expect(again.error?.status === 400, "a 400 for rotating it twice");
const successor = createClient<paths>({
  baseUrl,
  headers: { Authorization: `Bearer ${rotated.token}` },
});

// Revoke the successor; it stays listed, inactive, and stops working at once.
const revoked = await api.DELETE(ONE, { params: { path: { token_id: rotated.id } } });
expect(revoked.data?.status === 200, "a 200 for the revocation");
const after = await api.GET(ONE, { params: { path: { token_id: rotated.id } } });
expect(after.data?.active === false, "the revoked token, inactive");
expect(after.data.revokedReason === "owner", "revoked by its owner");
const refusedUse = await successor.GET(LIST);
expect(refusedUse.response.status === 401, "a 401 for the revoked token");
expect(refusedUse.error?.status === 401, "the error body on a 401");

console.log(
  JSON.stringify({
    listed: before.length,
    id: token.id,
    rotatedId: rotated.id,
    type: token.type,
    expireAt: token.expireAt,
    revokedStatus: revoked.data.status,
    afterRevoke: refusedUse.response.status,
    afterRotate: oldRefused.response.status,
  }),
);

// What the types refuse, as the server does. Never called: tsc fails on an
// unused @ts-expect-error, so each line proves the types are that strict.
export function refusedByTheTypes(): void {
  // @ts-expect-error: name is required
  void api.POST(LIST, { body: {} });
  // @ts-expect-error: ipRestriction is a string (or null)
  void api.POST(LIST, { body: { name, ipRestriction: 10 } });
  // @ts-expect-error: every type of the example site has a maximum lifetime: null is a 400
  void api.POST(LIST, { body: { name, expireAt: null } });
  // @ts-expect-error: type is one of the configured types
  void api.POST(LIST, { body: { name, type: "admin" } });
  // @ts-expect-error: the path needs its token_id
  void api.GET(ONE);
  // @ts-expect-error: a rotation's expireAt is a date-time string
  void api.POST(ROTATE, { params: { path: { token_id: "x" } }, body: { expireAt: 5 } });
  // @ts-expect-error: self takes no token_id
  void api.GET(SELF, { params: { path: { token_id: "x" } } });
}
