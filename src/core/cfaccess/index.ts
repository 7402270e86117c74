export { cfAccessHeaders, redactHeaders, CF_ACCESS_CLIENT_ID, CF_ACCESS_CLIENT_SECRET } from './headers.js';
export { diagnoseHttpResponse, isAccessLoginUrl, type HttpDiagnosis, type HttpDiagnosisKind, type HttpResponseFacts } from './diagnose.js';
export { probeWithToken, TokenTestExit, type TokenTestResult, type TokenTestOutcome } from './probe.js';
export {
  loadCfAccessToken,
  saveToken,
  removeToken,
  listTokens,
  tokenInfo,
  checkTokenShape,
  normalizeTeam,
  maskClientId,
  assertTokenName,
  tokenKey,
  type CfAccessToken,
  type CfAccessTokenInfo,
} from './tokens.js';
