import { describe, expect, it } from 'vitest';
import { diagnoseHttpResponse } from '../../../src/core/cfaccess/diagnose.js';

const URL_ = 'https://mcp.example.dev/mcp';
const login = 'https://myteam.cloudflareaccess.com/cdn-cgi/access/login/mcp.example.dev?kid=abc&redirect_url=%2Fmcp&meta=xyz';

describe('diagnoseHttpResponse', () => {
  it('recognises a 302 to the Access login, with the team, and strips the query', () => {
    const d = diagnoseHttpResponse({ status: 302, headers: { location: login, 'cf-ray': '1-LHR' }, url: URL_ });
    expect(d).toMatchObject({
      kind: 'access-login',
      accessBlocked: true,
      teamDomain: 'myteam.cloudflareaccess.com',
      loginUrl: 'https://myteam.cloudflareaccess.com/cdn-cgi/access/login/mcp.example.dev',
      viaCloudflare: true,
    });
    expect(d.message).toContain('redirect to the Cloudflare Access login (myteam.cloudflareaccess.com)');
    expect(d.hint).toMatch(/Service Auth/);
    expect(d.hint).toMatch(/tokens rotate/);
  });

  it('accepts a Headers object and a relative /cdn-cgi/access/login location', () => {
    const d = diagnoseHttpResponse({ status: 307, headers: new Headers({ location: '/cdn-cgi/access/login/x' }), url: URL_ });
    expect(d.kind).toBe('access-login');
    expect(d.teamDomain).toBeUndefined();
  });

  it('recognises an Access 403 page and the login page served after a followed redirect', () => {
    const forbidden = diagnoseHttpResponse({
      status: 403,
      headers: { 'content-type': 'text/html' },
      bodySnippet: '<html><title>Forbidden · Cloudflare Access</title><a href="https://team2.cloudflareaccess.com/cdn-cgi/access/logout">',
      url: URL_,
    });
    expect(forbidden).toMatchObject({ kind: 'access-denied', accessBlocked: true, teamDomain: 'team2.cloudflareaccess.com' });
    const page = diagnoseHttpResponse({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      bodySnippet: '<!DOCTYPE html><html><head><title>Sign in ・ Cloudflare Access</title></head><body><form action="/cdn-cgi/access/login">',
      url: URL_,
    });
    expect(page).toMatchObject({ kind: 'access-login', accessBlocked: true });
  });

  it('a plain 403 from the application is not blamed on Access', () => {
    const d = diagnoseHttpResponse({ status: 403, headers: { 'content-type': 'application/json' }, bodySnippet: '{"error":"forbidden"}', url: URL_ });
    expect(d).toMatchObject({ kind: 'http-error', accessBlocked: false });
  });

  it('a CF_Authorization cookie with a redirect elsewhere is the cookie outcome', () => {
    const d = diagnoseHttpResponse({ status: 302, headers: { location: '/mcp/', 'set-cookie': ['CF_Authorization=eyJ...; Path=/; HttpOnly'] }, url: URL_ });
    expect(d).toMatchObject({ kind: 'access-cookie-redirect', cookieSet: true, accessBlocked: false, location: 'https://mcp.example.dev/mcp/' });
    const ok = diagnoseHttpResponse({ status: 200, headers: new Headers([['set-cookie', 'CF_Authorization=abc; Path=/'], ['content-type', 'application/json']]), url: URL_ });
    expect(ok).toMatchObject({ kind: 'ok', cookieSet: true });
  });

  it('other redirects, edge errors and HTML pages', () => {
    expect(diagnoseHttpResponse({ status: 301, headers: { location: 'https://mcp.example.dev/mcp/' }, url: URL_ }).kind).toBe('redirect');
    expect(diagnoseHttpResponse({ status: 530, headers: { server: 'cloudflare' }, bodySnippet: 'error code: 1033', url: URL_ })).toMatchObject({ kind: 'cloudflare-error' });
    expect(diagnoseHttpResponse({ status: 502, headers: { 'cf-ray': 'x' }, bodySnippet: '<div class="cf-error-details">', url: URL_ }).kind).toBe('cloudflare-error');
    expect(diagnoseHttpResponse({ status: 404, headers: { 'content-type': 'text/html' }, bodySnippet: '<html>Not found</html>', url: URL_ }).kind).toBe('html');
    expect(diagnoseHttpResponse({ status: 200, headers: {}, url: URL_ }).viaCloudflare).toBe(false);
  });
});
