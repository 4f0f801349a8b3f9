#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A widely used third-party OAuth 2.0 client library (Authlib, Debian's
python3-authlib) against mod_csc's authorization server: discovery from
RFC 8414 metadata (at the host-root well-known path), a pushed authorization request, the code flow with
PKCE S256 and state checked by the library, refresh, revocation, the
client_credentials grant, and a public client (no secret, PKCE only).
The person's part (the sign-in and consent forms) is played over HTTP.
Prints one JSON object with what happened.

    authlib_flow.py BASE WEB_ID WEB_SECRET REDIRECT USER PASSWORD
                    BATCH_ID BATCH_SECRET PUBLIC_ID PUBLIC_REDIRECT
"""
import json
import re
import sys
import urllib.parse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.common.security import generate_token


def hidden(html):
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                           html))


def person(browser, url, user, password):
    """What a person does in the browser: sign in, allow.  Returns the
    URL the server redirects to."""
    r = browser.get(url, allow_redirects=False)
    r.raise_for_status()
    base = url.split("/oauth2/authorize")[0]
    r = browser.post(base + "/oauth2/login", data=dict(
        hidden(r.text), username=user, password=password),
        allow_redirects=False)
    r.raise_for_status()
    r = browser.post(base + "/oauth2/consent", data=dict(
        hidden(r.text), decision="approve"), allow_redirects=False)
    assert r.status_code == 302, r.status_code
    return r.headers["Location"]


def main():
    (base, web_id, web_secret, redirect, user, password, batch_id,
     batch_secret, pub_id, pub_redirect) = sys.argv[1:11]
    out = {}
    # RFC 8414 3: the well-known path goes between host and issuer path
    u = urllib.parse.urlsplit(base)
    meta = requests.get("%s://%s/.well-known/oauth-authorization-server%s"
                        % (u.scheme, u.netloc, u.path)).json()
    out["issuer_ok"] = meta["issuer"] == base

    # confidential client, client_secret_basic, PKCE, PAR
    s = OAuth2Session(web_id, web_secret, scope="service",
                      redirect_uri=redirect, code_challenge_method="S256",
                      token_endpoint_auth_method="client_secret_basic")
    verifier = generate_token(48)
    url, state = s.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier)
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    par = s.post(meta["pushed_authorization_request_endpoint"], data=params,
                 auth=(web_id, web_secret), withhold_token=True)
    out["par_status"] = par.status_code
    par_url = meta["authorization_endpoint"] + "?" + urllib.parse.urlencode(
        {"client_id": web_id, "request_uri": par.json()["request_uri"]})
    back = person(requests.Session(), par_url, user, password)
    token = s.fetch_token(meta["token_endpoint"], authorization_response=back,
                          code_verifier=verifier, state=state)
    out["token_type"] = token["token_type"]
    out["has_refresh"] = "refresh_token" in token
    r = s.post(base + "/v2/credentials/list", json={})
    out["list_status"] = r.status_code
    out["list_has"] = r.json().get("credentialIDs", [])[:1]
    old_refresh = token["refresh_token"]
    token = s.refresh_token(meta["token_endpoint"])
    out["rotated"] = token["refresh_token"] != old_refresh
    r = s.post(base + "/v2/credentials/list", json={})
    out["list_after_refresh"] = r.status_code
    r = s.revoke_token(meta["revocation_endpoint"],
                       token=token["refresh_token"],
                       token_type_hint="refresh_token")
    out["revoke_status"] = r.status_code
    r = s.post(base + "/v2/credentials/list", json={})
    out["list_after_revoke"] = r.status_code

    # a state that does not match is caught by the library
    s2 = OAuth2Session(web_id, web_secret, scope="service",
                       redirect_uri=redirect, code_challenge_method="S256")
    v2 = generate_token(48)
    url2, state2 = s2.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=v2)
    back2 = person(requests.Session(), url2, user, password)
    try:
        s2.fetch_token(meta["token_endpoint"], authorization_response=back2,
                       code_verifier=v2, state="not-" + state2)
        out["state_mismatch_caught"] = False
    except Exception as e:  # authlib raises MismatchingStateException
        out["state_mismatch_caught"] = type(e).__name__

    # client_credentials, client_secret_post
    c = OAuth2Session(batch_id, batch_secret, scope="service",
                      token_endpoint_auth_method="client_secret_post")
    t = c.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    out["cc_token_type"] = t["token_type"]
    out["cc_list"] = c.post(base + "/v2/credentials/list", json={}).status_code

    # a public client: no secret, PKCE
    p = OAuth2Session(pub_id, None, scope="service",
                      redirect_uri=pub_redirect, code_challenge_method="S256",
                      token_endpoint_auth_method="none")
    v3 = generate_token(64)
    url3, state3 = p.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=v3)
    back3 = person(requests.Session(), url3, user, password)
    t = p.fetch_token(meta["token_endpoint"], authorization_response=back3,
                      code_verifier=v3, state=state3)
    out["public_token"] = t["token_type"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
