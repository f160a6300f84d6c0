// Runs OAuth 2.0 / OpenID Connect flows against a mockidp with panva's openid-client
// (v6), letting the library apply its own strict validation, and prints one JSON line
// per flow: {"flow": ..., "ok": true|false, "skipped"?: reason, "error"?: ..., ...}.
//
//   node flows.mjs '<config JSON>'      (or the config in $MOCKIDP_INTEROP_CONFIG)
//
// config: {
//   "issuer": "http://127.0.0.1:8000",          discovery from the issuer, strictly
//   "discovery_url": ".../.well-known/...",     instead: fetch this document as is and
//                                               skip the issuer == URL check (a quirk)
//   "redirect_uri": "http://127.0.0.1:8080/callback",
//   "post_logout_redirect_uri": "http://127.0.0.1:8080/",
//   "scope": "openid profile email offline_access",
//   "clients": {"basic": {"client_id", "client_secret"}, "post": {...},
//               "secret_jwt": {...}, "private_key_jwt": {"client_id", "jwk"},
//               "private_key_jwt_ed25519": {...}, "public": {"client_id"},
//               "signed": {..., "metadata": {"userinfo_signed_response_alg"}},
//               "exchange": {...}},       a flow whose client is absent is skipped
//   "flows": ["discovery", "code", ...],        see FLOWS below, run in this order
//   "dpop_alg": "ES256",                        the DPoP proofs' key (PS256, EdDSA, ...)
//   "oauth_metadata": true,                     RFC 8414 metadata served (or its URL)
//   "access_token_audience": "...",             a JWT access token's aud (client_id)
//   "relax": {                                  documented vendor quirks only:
//     "token_type": {"access_token": "bearer"}, token responses' token_type renamed
//     "end_session_redirect_param": "redirect_uri"  instead of post_logout_redirect_uri
//     "json_string_jwt": true                   a JSON string body holding a JWT read as
//                                               application/jwt (then strictly checked)
//     "client_metadata": {...}                  e.g. userinfo_signed_response_alg
//   }
// }
import * as client from 'openid-client'
import * as oauth from 'oauth4webapi'

const raw = process.argv[2] ?? process.env.MOCKIDP_INTEROP_CONFIG
if (!raw) {
  console.error('usage: node flows.mjs \'{"issuer": ..., "clients": ..., "flows": [...]}\'')
  process.exit(2)
}
const cfg = JSON.parse(raw)
const redirectUri = cfg.redirect_uri ?? 'http://127.0.0.1:8080/callback'
const scope = cfg.scope ?? 'openid profile email offline_access'
const relax = cfg.relax ?? {}

// -- helpers ---------------------------------------------------------------------------

class Skip extends Error {}

function unescapeHtml(text) {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

function describe(err) {
  const out = { name: err?.name, message: err?.message }
  if (err?.code) out.code = err.code
  if (err?.error) out.error = err.error
  if (err?.error_description) out.error_description = err.error_description
  if (err?.status) out.status = err.status
  if (err?.cause instanceof Error) {
    out.cause = describe(err.cause)
  } else if (err?.cause && typeof err.cause === 'object') {
    try {
      out.cause = JSON.parse(JSON.stringify(err.cause))
    } catch {
      out.cause = String(err.cause)
    }
  }
  return out
}

async function authMethod(kind, c) {
  switch (kind) {
    case 'basic':
    case 'signed':
    case 'exchange':
      return client.ClientSecretBasic(c.client_secret)
    case 'post':
      return client.ClientSecretPost(c.client_secret)
    case 'secret_jwt':
      return client.ClientSecretJwt(c.client_secret)
    case 'private_key_jwt':
    case 'private_key_jwt_ed25519': {
      const { alg, ...jwk } = c.jwk
      const algorithm =
        jwk.kty === 'OKP'
          ? { name: 'Ed25519' }
          : jwk.kty === 'EC'
            ? { name: 'ECDSA', namedCurve: 'P-256' }
            : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      const key = await crypto.subtle.importKey('jwk', jwk, algorithm, false, ['sign'])
      return client.PrivateKeyJwt({ key, kid: jwk.kid })
    }
    case 'public':
      return client.None()
    default:
      throw new Error(`unknown client kind ${kind}`)
  }
}

// One Configuration per (client kind, response type): discovery runs each time, which is
// cheap and keeps every Configuration independent.
function discoveryOptions(execute = [], algorithm = undefined) {
  const options = { execute: [client.allowInsecureRequests, ...execute], timeout: 10 }
  if (algorithm) options.algorithm = algorithm
  if (relax.token_type || relax.json_string_jwt) options[client.customFetch] = relaxedFetch
  return options
}

async function configure(kind = 'basic', execute = [], extraMetadata = {}, algorithm) {
  const c = cfg.clients?.[kind]
  if (!c) throw new Skip(`no ${kind} client in the config`)
  const server = new URL(cfg.discovery_url ?? cfg.issuer)
  const options = discoveryOptions(execute, algorithm)
  const metadata = { ...relax.client_metadata, ...c.metadata, ...extraMetadata }
  const config = await client.discovery(server, c.client_id, metadata, await authMethod(kind, c), options)
  // ID tokens from the token endpoint get their signature checked too (by default the
  // library trusts the TLS channel there, OpenID Connect Core 3.1.3.7 step 6)
  if (config.serverMetadata().jwks_uri) client.enableNonRepudiationChecks(config)
  return config
}

// relax.token_type: a vendor's non-standard token_type (RFC 6749 7.1 names bearer) read
// as the standard one it means; every other member of the response stays as sent.
// relax.json_string_jwt: a signed JWT sent as a JSON string passed on as application/jwt,
// which the library then validates (signature, iss, aud) like any signed response.
async function relaxedFetch(url, options) {
  const response = await fetch(url, options)
  if (!(response.headers.get('content-type') ?? '').includes('json')) return response
  let body = await response.json()
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  headers.delete('content-encoding')
  if (relax.json_string_jwt && typeof body === 'string') {
    headers.set('content-type', 'application/jwt')
    return new Response(body, { status: response.status, headers })
  }
  const renamed = relax.token_type?.[body?.token_type]
  if (renamed) body.token_type = renamed
  return new Response(JSON.stringify(body), { status: response.status, headers })
}

function need(config, member) {
  if (!config.serverMetadata()[member]) throw new Skip(`discovery has no ${member}`)
}

// A browser-less user agent: follows the authorization server's redirects (keeping its
// cookies) until one leaves for the client's redirect URI, and returns that URL.
const jar = new Map()
async function userAgent(url) {
  let current = new URL(url)
  for (let hop = 0; hop < 10; hop++) {
    if (current.href.startsWith(redirectUri)) return current
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const response = await fetch(current, {
      redirect: 'manual',
      headers: cookie ? { cookie } : {},
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const i = pair.indexOf('=')
      jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim())
    }
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location) {
      current = new URL(location, current)
      continue
    }
    const body = (await response.text()).slice(0, 300)
    throw new Error(`authorize stopped at ${current.href}: HTTP ${response.status} ${body}`)
  }
  throw new Error('too many redirects')
}

// The authorization code flow with PKCE, state and nonce; returns the validated tokens.
async function codeFlow(config, { dpop, par, maxAge, extra = {} } = {}) {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const params = {
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...(maxAge === undefined ? {} : { max_age: String(maxAge) }),
    ...extra,
  }
  // a server that requires PAR (RFC 9126 5) gets every request pushed
  const pushed = par || config.serverMetadata().require_pushed_authorization_requests === true
  const url = pushed
    ? await client.buildAuthorizationUrlWithPAR(config, params, dpop ? { DPoP: dpop } : undefined)
    : client.buildAuthorizationUrl(config, params)
  const callback = await userAgent(url)
  const tokens = await client.authorizationCodeGrant(
    config,
    callback,
    {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
      maxAge,
    },
    undefined,
    dpop ? { DPoP: dpop } : undefined,
  )
  return { tokens, authorizeUrl: url }
}

function summary(tokens) {
  const claims = tokens.claims()
  return {
    token_type: tokens.token_type,
    has_refresh_token: Boolean(tokens.refresh_token),
    sub: claims?.sub,
    id_token_iss: claims?.iss,
  }
}

// -- flows -----------------------------------------------------------------------------

const ctx = {} // shared by later flows: the basic client's configuration and tokens

async function basicCode() {
  if (!ctx.code) {
    const config = await configure('basic')
    ctx.code = { config, ...(await codeFlow(config)) }
  }
  return ctx.code
}

const FLOWS = {
  async discovery() {
    const config = await configure('basic')
    const m = config.serverMetadata()
    return {
      issuer: m.issuer,
      endpoints: Object.keys(m).filter((k) => k.endsWith('_endpoint')).sort(),
    }
  },

  async code() {
    const { tokens } = await basicCode()
    return summary(tokens)
  },

  // The ID token was validated by authorizationCodeGrant (signature through the JWKS,
  // iss, aud, azp, exp, iat, nonce); this checks what a relying party reads next.
  async id_token() {
    const { tokens, config } = await basicCode()
    const claims = tokens.claims()
    if (!claims) throw new Error('no ID token')
    if (claims.iss !== config.serverMetadata().issuer) throw new Error('iss != issuer')
    const aud = [].concat(claims.aud)
    if (!aud.includes(config.clientMetadata().client_id)) throw new Error('aud lacks client_id')
    return { sub: claims.sub, claims: Object.keys(claims).sort() }
  },

  // max_age sent: the ID token must carry auth_time, no older than max_age (Core 3.1.2.1)
  async max_age() {
    const config = await configure('basic')
    const { tokens } = await codeFlow(config, { maxAge: 300 })
    return { auth_time: tokens.claims().auth_time }
  },

  // RFC 9068 as a resource server checks it: typ at+jwt, signature, iss, exp, aud, sub,
  // client_id, iat, jti (oauth4webapi's validateJwtAccessToken).
  async jwt_access_token() {
    const { tokens, config } = await basicCode()
    const as = config.serverMetadata()
    const audience = cfg.access_token_audience ?? config.clientMetadata().client_id
    const request = new Request('https://rs.example.test/api', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    const claims = await oauth.validateJwtAccessToken(as, request, audience, {
      [oauth.allowInsecureRequests]: true,
    })
    return { sub: claims.sub, client_id: claims.client_id, aud: claims.aud }
  },

  async refresh() {
    const { tokens, config } = await basicCode()
    if (!tokens.refresh_token) throw new Skip('no refresh token issued')
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
    ctx.refreshed = refreshed
    return summary(refreshed)
  },

  async userinfo() {
    const { tokens, config } = await basicCode()
    need(config, 'userinfo_endpoint')
    const sub = tokens.claims().sub
    const info = await client.fetchUserInfo(config, tokens.access_token, sub)
    return { sub: info.sub, claims: Object.keys(info).sort() }
  },

  // RFC 8414 discovery (/.well-known/oauth-authorization-server, inserted before the
  // issuer's path), strictly: its issuer must be the one asked for.
  // "oauth_metadata": a URL instead of true is a vendor's document under the issuer's
  // path (RFC 8414 5's legacy placement): read as is, its issuer compared here.
  async rfc8414_discovery() {
    if (!cfg.oauth_metadata) throw new Skip('no RFC 8414 metadata document')
    if (typeof cfg.oauth_metadata === 'string') {
      const c = cfg.clients.basic
      const config = await client.discovery(
        new URL(cfg.oauth_metadata),
        c.client_id,
        undefined,
        client.ClientSecretBasic(c.client_secret),
        discoveryOptions(),
      )
      const issuer = config.serverMetadata().issuer
      if (new URL(issuer).href !== new URL(cfg.issuer).href) throw new Error(`issuer ${issuer}`)
      return { issuer, placement: 'under the issuer path' }
    }
    const config = await configure('basic', [], {}, 'oauth2')
    return { issuer: config.serverMetadata().issuer }
  },

  // UserInfo as a signed JWT (Core 5.3.2) for a client registered for it.
  async userinfo_jwt() {
    const config = await configure('signed')
    need(config, 'userinfo_endpoint')
    const { tokens } = await codeFlow(config)
    const sub = tokens.claims().sub
    const info = await client.fetchUserInfo(config, tokens.access_token, sub)
    return { sub: info.sub, iss: info.iss, aud: info.aud }
  },

  // Introspection as a signed JWT (RFC 9701), asked for by the Accept header.
  async introspection_jwt() {
    const config = await configure('basic', [], { introspection_signed_response_alg: 'RS256' })
    need(config, 'introspection_endpoint')
    const { tokens } = await codeFlow(config)
    const active = await client.tokenIntrospection(config, tokens.access_token)
    if (active.active !== true) throw new Error('a live access token is not active')
    return { active: active.active, sub: active.sub }
  },

  // A resource indicator (RFC 8707) becomes the access token's aud (RFC 9068 check).
  async resource_indicator() {
    const config = await configure('basic')
    const resource = 'https://api.example.test/'
    const tokens = await client.clientCredentialsGrant(config, { resource })
    const request = new Request(resource, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    const claims = await oauth.validateJwtAccessToken(config.serverMetadata(), request, resource, {
      [oauth.allowInsecureRequests]: true,
    })
    return { aud: claims.aud, sub: claims.sub }
  },

  // Token exchange (RFC 8693) through the library's generic grant: the code flow's
  // access token exchanged by another client for one with an audience (RFC 9068 check).
  async token_exchange() {
    const { tokens, config: basic } = await basicCode()
    const types = basic.serverMetadata().grant_types_supported ?? []
    const grant = 'urn:ietf:params:oauth:grant-type:token-exchange'
    if (!types.includes(grant)) throw new Skip('token exchange not supported')
    const config = await configure('exchange')
    const audience = 'https://api.example.test/'
    const exchanged = await client.genericGrantRequest(config, grant, {
      subject_token: tokens.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience,
    })
    const request = new Request(audience, {
      headers: { authorization: `Bearer ${exchanged.access_token}` },
    })
    const claims = await oauth.validateJwtAccessToken(config.serverMetadata(), request, audience, {
      [oauth.allowInsecureRequests]: true,
    })
    return { issued_token_type: exchanged.issued_token_type, sub: claims.sub, aud: claims.aud }
  },

  // Dynamic client registration (RFC 7591), then a code flow as the new client.
  async registration() {
    need(await configure('basic'), 'registration_endpoint')
    const server = new URL(cfg.discovery_url ?? cfg.issuer)
    const config = await client.dynamicClientRegistration(
      server,
      {
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        client_name: 'openid-client interop',
      },
      client.ClientSecretBasic(),
      discoveryOptions(),
    )
    client.enableNonRepudiationChecks(config)
    const { tokens } = await codeFlow(config)
    return { client_id: config.clientMetadata().client_id, ...summary(tokens) }
  },

  async client_credentials() {
    const config = await configure('basic')
    const tokens = await client.clientCredentialsGrant(config, {})
    return { token_type: tokens.token_type, expires_in: tokens.expiresIn() }
  },

  async introspection() {
    const { tokens, config } = await basicCode()
    need(config, 'introspection_endpoint')
    const active = await client.tokenIntrospection(config, tokens.access_token)
    if (active.active !== true) throw new Error('a live access token is not active')
    return { active: active.active, client_id: active.client_id, sub: active.sub }
  },

  async revocation() {
    const config = await configure('basic')
    need(config, 'revocation_endpoint')
    const { tokens } = await codeFlow(config)
    const token = tokens.refresh_token ?? tokens.access_token
    await client.tokenRevocation(config, token)
    const out = { revoked: tokens.refresh_token ? 'refresh_token' : 'access_token' }
    if (config.serverMetadata().introspection_endpoint) {
      const after = await client.tokenIntrospection(config, token)
      if (after.active !== false) throw new Error('a revoked token is still active')
      out.active_after = after.active
    }
    return out
  },

  async device() {
    const config = await configure('basic')
    need(config, 'device_authorization_endpoint')
    const started = await client.initiateDeviceAuthorization(config, { scope })
    const tokens = await client.pollDeviceAuthorizationGrant(config, started)
    return { user_code: started.user_code, ...summary(tokens) }
  },

  async par() {
    const config = await configure('basic')
    need(config, 'pushed_authorization_request_endpoint')
    const { tokens, authorizeUrl } = await codeFlow(config, { par: true })
    if (!authorizeUrl.searchParams.get('request_uri')) throw new Error('no request_uri')
    return summary(tokens)
  },

  async dpop() {
    const config = await configure('basic')
    if (!config.serverMetadata().dpop_signing_alg_values_supported) {
      throw new Skip('discovery has no dpop_signing_alg_values_supported')
    }
    const keyPair = await client.randomDPoPKeyPair(cfg.dpop_alg ?? 'ES256')
    const dpop = client.getDPoPHandle(config, keyPair)
    const { tokens } = await codeFlow(config, { dpop })
    if (tokens.token_type !== 'dpop') throw new Error(`token_type ${tokens.token_type}`)
    const out = summary(tokens)
    if (config.serverMetadata().userinfo_endpoint) {
      const info = await client.fetchUserInfo(config, tokens.access_token, out.sub, { DPoP: dpop })
      out.userinfo_sub = info.sub
    }
    if (tokens.refresh_token) {
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, {
        DPoP: dpop,
      })
      out.refreshed_token_type = refreshed.token_type
    }
    if (config.serverMetadata().pushed_authorization_request_endpoint) {
      const viaPar = await codeFlow(config, { dpop, par: true })
      out.par_token_type = viaPar.tokens.token_type
    }
    return out
  },

  // OpenID Connect hybrid flow: code id_token, the front-channel ID token validated
  // (c_hash, nonce, state) before the code exchange.
  async hybrid() {
    const config = await configure('basic', [client.useCodeIdTokenResponseType])
    const types = config.serverMetadata().response_types_supported ?? []
    if (!types.includes('code id_token')) throw new Skip('code id_token not supported')
    return summary((await codeFlow(config)).tokens)
  },

  async implicit() {
    const config = await configure('public', [client.useIdTokenResponseType])
    const types = config.serverMetadata().response_types_supported ?? []
    if (!types.includes('id_token')) throw new Skip('id_token not supported')
    const state = client.randomState()
    const nonce = client.randomNonce()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      state,
      nonce,
    })
    const callback = await userAgent(url)
    const claims = await client.implicitAuthentication(config, callback, nonce, {
      expectedState: state,
    })
    return { sub: claims.sub, iss: claims.iss }
  },

  // Each token endpoint client authentication method, through a full code flow.
  async auth_client_secret_basic() {
    return summary((await codeFlow(await configure('basic'))).tokens)
  },
  async auth_client_secret_post() {
    return summary((await codeFlow(await configure('post'))).tokens)
  },
  async auth_client_secret_jwt() {
    return summary((await codeFlow(await configure('secret_jwt'))).tokens)
  },
  async auth_private_key_jwt() {
    return summary((await codeFlow(await configure('private_key_jwt'))).tokens)
  },
  async auth_private_key_jwt_ed25519() {
    return summary((await codeFlow(await configure('private_key_jwt_ed25519'))).tokens)
  },
  async auth_none() {
    return summary((await codeFlow(await configure('public'))).tokens)
  },

  // response_mode=form_post (OAuth 2.0 Form Post Response Mode): the page's form posted
  // to the redirect URI as the browser would, and that Request handed to the library.
  async form_post() {
    const config = await configure('basic')
    const modes = config.serverMetadata().response_modes_supported ?? ['query', 'fragment']
    if (!modes.includes('form_post')) throw new Skip('form_post not supported')
    const state = client.randomState()
    const nonce = client.randomNonce()
    const verifier = client.randomPKCECodeVerifier()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      state,
      nonce,
      response_mode: 'form_post',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })
    const response = await fetch(url, { redirect: 'manual' })
    const html = await response.text()
    if (response.status !== 200) throw new Error(`form_post answered HTTP ${response.status}`)
    const action = /<form[^>]*action="([^"]*)"/i.exec(html)?.[1]
    if (unescapeHtml(action ?? '') !== redirectUri) throw new Error(`form action ${action}`)
    const form = new URLSearchParams()
    for (const input of html.matchAll(/<input[^>]*>/gi)) {
      const name = /name="([^"]*)"/i.exec(input[0])?.[1]
      const value = /value="([^"]*)"/i.exec(input[0])?.[1]
      if (name !== undefined) form.append(unescapeHtml(name), unescapeHtml(value ?? ''))
    }
    const request = new Request(redirectUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    })
    const tokens = await client.authorizationCodeGrant(config, request, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    })
    return { fields: [...form.keys()].sort(), ...summary(tokens) }
  },

  // An authorization error redirect (RFC 6749 4.1.2.1 with RFC 9207's iss): the library
  // must read it as the server's error, not fail on its state or iss.
  async authorization_error() {
    const config = await configure('basic')
    const state = client.randomState()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid not-a-known-scope',
      state,
    })
    const callback = await userAgent(url)
    try {
      await client.authorizationCodeGrant(config, callback, { expectedState: state })
    } catch (err) {
      if (err instanceof client.AuthorizationResponseError) return { error: err.error }
      throw err
    }
    throw new Error('an unknown scope was granted')
  },

  // A token endpoint error (RFC 6749 5.2): parsed as the server's JSON error.
  async token_error() {
    const config = await configure('basic')
    try {
      await client.refreshTokenGrant(config, 'not-a-refresh-token')
    } catch (err) {
      if (err instanceof client.ResponseBodyError) return { error: err.error, status: err.status }
      throw err
    }
    throw new Error('a made-up refresh token was accepted')
  },

  // A bad bearer token at UserInfo (RFC 6750 3): the WWW-Authenticate challenge parsed.
  async userinfo_error() {
    const config = await configure('basic')
    need(config, 'userinfo_endpoint')
    try {
      await client.fetchUserInfo(config, 'not-an-access-token', client.skipSubjectCheck)
    } catch (err) {
      if (err instanceof client.WWWAuthenticateChallengeError) {
        const [challenge] = err.cause
        return { status: err.status, scheme: challenge.scheme, error: challenge.parameters.error }
      }
      throw err
    }
    throw new Error('a made-up access token was accepted')
  },

  // RP-initiated logout: the URL the library builds, followed back to the client.
  async end_session() {
    const { tokens, config } = await basicCode()
    need(config, 'end_session_endpoint')
    const state = client.randomState()
    const postLogout = cfg.post_logout_redirect_uri ?? 'http://127.0.0.1:8080/'
    const redirectParam = relax.end_session_redirect_param ?? 'post_logout_redirect_uri'
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token,
      [redirectParam]: postLogout,
      state,
    })
    const response = await fetch(url, { redirect: 'manual' })
    const location = response.headers.get('location')
    if (!location) throw new Error(`end session answered HTTP ${response.status}, no redirect`)
    const back = new URL(location, url)
    if (!back.href.startsWith(postLogout)) throw new Error(`redirected to ${back.href}`)
    if (back.searchParams.get('state') !== state) throw new Error('state not returned')
    return { redirected_to: back.origin + back.pathname }
  },
}

for (const flow of cfg.flows ?? Object.keys(FLOWS)) {
  const run = FLOWS[flow]
  let line
  try {
    if (!run) throw new Error(`unknown flow ${flow}`)
    line = { flow, ok: true, ...(await run()) }
  } catch (err) {
    line =
      err instanceof Skip
        ? { flow, ok: true, skipped: err.message }
        : { flow, ok: false, error: describe(err) }
  }
  console.log(JSON.stringify(line))
}
