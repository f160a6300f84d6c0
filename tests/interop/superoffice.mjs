// Reads SuperOffice's current principal with the vendor's own web API client
// (@superoffice/webapi, pinned in package.json) and prints one JSON line per read:
// {"read": ..., "ok": true, "principal": <what the SDK parsed>} or
// {"read": ..., "ok": false, "status": 401, "body": ...}.
//
//   node superoffice.mjs '<config JSON>'
//
// config: {"reads": [{"read": "bearer", "webapi_url": ".../Cust12345/api/",
//                     "token": "8A:..."}                      Authorization: Bearer
//                    {"read": "ticket", "webapi_url": ..., "ticket": "7T:...",
//                     "app_token": "..."}]}                   SOTicket (+ SO-AppToken)
//
// The SDK has no method for v1/User/currentPrincipal, only the converter of its answer
// (Converters.Create_SoPrincipalCarrier_From, which parses UserType, RoleType and
// EjUserStatus into its enums). So the read is written the way the SDK writes each of
// its agents: a WebApiBase subclass with a basePath, GetAxiosRequestConfig, its axios
// instance, then the converter. Authentication is the SDK's own: WebApi's
// authenticateWithToken / authenticateWithTicket and applicationToken.
//
// The package's ESM build imports its files without extensions, which Node refuses:
// its CommonJS build is loaded instead (the "require" condition of its exports).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { WebApi } = require('@superoffice/webapi')
const { WebApiBase } = require('@superoffice/webapi/WebApiBase.js')
const { Create_SoPrincipalCarrier_From } = require('@superoffice/webapi/Converters.js')

class UserRestApi extends WebApiBase {
  constructor(options) {
    const resolved = WebApiBase.FigureOutOptions(options)
    resolved.basePath = 'v1/User/'
    super(resolved)
  }

  async getCurrentPrincipalAsync(options) {
    const config = WebApiBase.GetAxiosRequestConfig(options, this._options)
    const response = await this._axios.get('currentPrincipal', config)
    return Create_SoPrincipalCarrier_From(response.data)
  }
}

const raw = process.argv[2]
if (!raw) {
  console.error('usage: node superoffice.mjs \'{"reads": [...]}\'')
  process.exit(2)
}
const cfg = JSON.parse(raw)

for (const read of cfg.reads) {
  const webapi = new WebApi(read.webapi_url) // resets the SDK's global options
  if (read.ticket !== undefined) webapi.authenticateWithTicket(read.ticket)
  if (read.token !== undefined) webapi.authenticateWithToken(read.token)
  if (read.app_token !== undefined) webapi.applicationToken(read.app_token)
  const api = new UserRestApi(read.webapi_url)
  try {
    const principal = await api.getCurrentPrincipalAsync()
    console.log(JSON.stringify({ read: read.read, ok: true, principal }))
  } catch (err) {
    const status = err?.response?.status ?? null
    const body = err?.response?.data ?? String(err?.message ?? err)
    console.log(JSON.stringify({ read: read.read, ok: false, status, body }))
  }
}
