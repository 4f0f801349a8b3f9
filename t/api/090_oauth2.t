# SPDX-License-Identifier: Apache-2.0
# The OAuth 2.0 authorization server, scope service: discovery, the
# authorization code flow through the pages (PKCE, state, iss), every
# error before and after the redirect URI is trusted, the token endpoint's
# three grants and client authentication, code replay, refresh rotation
# and reuse detection, pushed requests, revocation seen by every child,
# and the pages' protections (CSRF, cookie, escaping, framing).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use CSC::Test;
use CSC::OAuth2;

plan tests => 116;

my $fx = fixture();
my $WEB = $fx->{clients}{'web-app'};
my $OTHER = $fx->{clients}{'other-app'};
my $BATCH = $fx->{clients}{batch};
my $CB = $WEB->{redirect_uri};
my $A = '/oa/csc';
my @web = basic('web-app', $WEB->{secret});

sub err { my ($r, $j) = @_; error_is($r, $j) }
sub code_for {
    my (%o) = @_;
    my ($c, $q) = authorize_code(client_id => 'web-app', redirect_uri => $CB,
                                 user => 'alice', password => 'alice-secret', %o);
    return ($q->{code}, $q, $c);
}
sub token { oa_post("$A/oauth2/token", @_) }
sub list_status {
    my ($tok) = @_;
    my ($r, $j) = csc_call('v2', 'credentials/list', {}, token => $tok, prefix => $A);
    return $r->code == 200 ? 200 : err($r, $j);
}

# ---- discovery ----
{
    my ($r, $j) = csc_call('v2', 'info', {}, prefix => $A);
    my $iss = oa_base() . $A;
    ok t_cmp($j->{oauth2}, $iss, 'info.oauth2 is the issuer (request origin + base)');
    ok t_member($j->{authType}, 'oauth2code', 'authType has oauth2code');
    ok t_member($j->{authType}, 'oauth2client', 'authType has oauth2client');
    ok t_cmp($JSON->encode($j->{supportedHashTypes}), '["DTBSR"]', 'supportedHashTypes (EUDI Kotlin parser)');
    ok t_cmp($JSON->encode($j->{signAlgorithms}{algoParams}), '[]', 'algoParams present (EUDI Swift parser)');
    ($r, $j) = csc_call('v1', 'info', {}, prefix => '/csc');
    ok t_absent($j, 'oauth2', 'no oauth2 member where the AS is off');
    $r = oa_get("$A/.well-known/oauth-authorization-server");
    $j = CSC::Test::json($r);
    ok t_cmp($r->code, 200, 'metadata answers');
    ok t_cmp($j->{issuer}, $iss, 'metadata issuer equals info.oauth2');
    ok t_cmp($j->{token_endpoint}, "$iss/oauth2/token", 'token endpoint');
    ok t_cmp($j->{pushed_authorization_request_endpoint}, "$iss/oauth2/pushed_authorize", 'PAR endpoint');
    ok t_cmp($JSON->encode($j->{code_challenge_methods_supported}), '["S256"]', 'S256 only');
    ok t_cmp($r->header('Cache-Control'), 'no-store', 'no-store');
    $r = oa_get("/.well-known/oauth-authorization-server$A");
    ok t_cmp(CSC::Test::json($r) && CSC::Test::json($r)->{issuer}, $iss,
             'RFC 8414 path at the host root: the same metadata');
    $r = oa_get('/.well-known/oauth-authorization-server/nowhere');
    ok t_cmp($r->code, 404, 'not for a path that is no API location');
    $r = oa_get('/oat/csc/.well-known/oauth-authorization-server');
    ok t_cmp(CSC::Test::json($r)->{issuer}, 'https://sign.example.org/oat/csc', 'CSCOAuth2Issuer is the issuer');
    $r = oa_get('/csc/oauth2/token');
    ok t_cmp($r->code, 404, 'no AS where CSCAuthType has no oauth2 type');
}

# ---- the whole flow: page, consent, code, token, API call ----
my ($verifier, $challenge) = pkce();
my ($code, $q, $consent) = code_for(challenge => $challenge, state => 'xyz 123');
ok t_cmp($q->{state}, 'xyz 123', 'state comes back');
ok t_cmp($q->{iss}, oa_base() . $A, 'iss comes back (RFC 9207)');
ok t_true($code && length $code == 43, 'a 256-bit code', $code);
ok t_true(index($consent->header('Location'), "$CB?code=") == 0, 'redirect to the registered URI', $consent->header('Location'));
my ($r, $j) = token({grant_type => 'authorization_code', code => $code,
                     redirect_uri => $CB, code_verifier => $verifier}, @web);
ok t_cmp($r->code, 200, 'code exchanged');
ok t_cmp($j->{token_type}, 'Bearer', 'token_type Bearer');
ok t_true(defined $j->{expires_in} && $j->{expires_in} =~ /^\d+$/ && $j->{expires_in} > 0, 'integer expires_in', $j);
ok t_true($j->{refresh_token}, 'a refresh token', $j);
ok t_cmp($r->header('Cache-Control'), 'no-store', 'token answer not stored');
my ($access, $refresh) = @$j{qw(access_token refresh_token)};
ok t_cmp(list_status($access), 200, 'the token works for credentials/list');
{
    my ($lr, $lj) = csc_call('v2', 'credentials/list', {}, token => $access, prefix => $A);
    ok t_member($lj->{credentialIDs}, 'alice-ec', "alice's credentials");
}

# code replay: refused, and what it gave is revoked
($r, $j) = token({grant_type => 'authorization_code', code => $code,
                  redirect_uri => $CB, code_verifier => $verifier}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Authorization code is invalid or expired', 'code replay refused');
ok t_cmp(list_status($access), '401|invalid_token|The access token is not valid', 'replay revoked the access token');
($r, $j) = token({grant_type => 'refresh_token', refresh_token => $refresh}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Invalid parameter refresh_token', 'and its refresh token');

# 16 concurrent redemptions of one code over several children: the code
# is spent once; the replays revoke what it gave, so the one token issued
# (if its request bound it before a replay came) is dead, and every other
# answer is invalid_grant
{
    my ($rc) = code_for();
    my ($wins, $n, @a) = race(16, sub {
        (oa_post("$A/oauth2/token", {grant_type => 'authorization_code', code => $rc,
                                     redirect_uri => $CB}, @web))[0];
    });
    my $refused = grep { /^400 .*"error":"invalid_grant"/ } @a;
    ok t_true($n == 16 && $wins <= 1 && $refused == 16 - $wins,
              'sixteen concurrent redemptions of a code: at most one token, the rest invalid_grant', \@a);
    my ($tok) = map { /"access_token":"([^"]+)"/ ? $1 : () } @a;
    ok t_cmp($tok ? list_status($tok) : 'no token issued', $tok ? '401|invalid_token|The access token is not valid'
                                                                : 'no token issued',
             'any token it gave is revoked by the replays');
}

# ---- token endpoint errors ----
($code) = code_for(challenge => $challenge);
($r, $j) = token({grant_type => 'authorization_code', code => $code, redirect_uri => $CB,
                  code_verifier => 'x' x 43}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Invalid parameter code_verifier', 'PKCE mismatch');
($r, $j) = token({grant_type => 'authorization_code', code => $code, redirect_uri => $CB,
                  code_verifier => $verifier}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Authorization code is invalid or expired', 'a failed exchange spends the code');
($code) = code_for(challenge => $challenge);
($r, $j) = token({grant_type => 'authorization_code', code => $code, redirect_uri => $CB}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Missing parameter code_verifier', 'verifier missing');
($code) = code_for();
($r, $j) = token({grant_type => 'authorization_code', code => $code,
                  redirect_uri => 'http://127.0.0.1/cb'}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|redirect_uri parameter does not match', 'redirect_uri mismatch');
($code) = code_for();
($r, $j) = token({grant_type => 'authorization_code', code => $code, redirect_uri => $CB,
                  code_verifier => $verifier}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Invalid parameter code_verifier', 'a verifier without a challenge');
($code) = code_for();
($r, $j) = token({grant_type => 'authorization_code', code => $code, redirect_uri => $CB},
                 basic('other-app', $OTHER->{secret}));
ok t_cmp(err($r, $j), '400|invalid_grant|Invalid parameter code', "another client's code");
($r, $j) = token({grant_type => 'authorization_code', code => 'A' x 43, redirect_uri => $CB}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Authorization code is invalid or expired', 'unknown code');
($r, $j) = token({grant_type => 'authorization_code', redirect_uri => $CB}, @web);
ok t_cmp(err($r, $j), '400|invalid_request|Missing parameter code', 'no code');
($r, $j) = token({code => 'x'}, @web);
ok t_cmp(err($r, $j), '400|invalid_request|Missing parameter grant_type', 'no grant_type');
($r, $j) = token({grant_type => 'password'}, @web);
ok t_cmp(err($r, $j), '400|invalid_request|Invalid parameter grant_type', 'bad grant_type');
($r, $j) = token({grant_type => 'client_credentials'}, @web);
ok t_cmp(err($r, $j), '400|unauthorized_client|The client may not use this grant type', 'grant type not registered');
($r, $j) = token({grant_type => 'client_credentials', client_id => 'web-app', client_secret => 'wrong' x 8});
ok t_cmp(err($r, $j), '400|invalid_request|Invalid parameter client_secret', 'wrong secret in the body');
($r, $j) = token({grant_type => 'client_credentials'}, basic('web-app', 'wrong' x 8));
ok t_cmp(err($r, $j), '401|invalid_client|Invalid authorization header', 'wrong secret in Basic');
ok t_cmp($r->header('WWW-Authenticate'), 'Basic realm="oauth2"', 'with a Basic challenge');
($r, $j) = token({grant_type => 'client_credentials', client_id => 'web-app'});
ok t_cmp(err($r, $j), '401|invalid_request|Client authorization required', 'confidential client without a secret');
($r, $j) = token({grant_type => 'client_credentials', client_id => 'nobody'});
ok t_cmp(err($r, $j), '400|invalid_request|Invalid parameter client_id', 'unknown client');
($r, $j) = token({grant_type => 'client_credentials'});
ok t_cmp(err($r, $j), '400|invalid_request|Missing parameter client_id', 'no client at all');
($r, $j) = token('grant_type=a&grant_type=b', @web);
ok t_cmp(err($r, $j), '400|invalid_request|Malformed form: parameter grant_type given twice', 'repeated parameter');
($r, $j) = token({grant_type => 'client_credentials'}, @web, 'Content-Type' => 'application/json');
ok t_cmp(err($r, $j), '400|invalid_request|Content-Type must be application/x-www-form-urlencoded', 'JSON body refused');
$r = oa_get("$A/oauth2/token");
ok t_cmp($r->code . ' ' . ($r->header('Allow') // ''), '405 POST', 'GET token: 405, Allow POST');
($r, $j) = token({grant_type => 'authorization_code', code => 'x', client_id => 'wallet', client_secret => 'x' x 40});
ok t_cmp(err($r, $j), '400|invalid_request|Invalid parameter client_secret', 'a public client has no secret');

# ---- client_credentials ----
($r, $j) = token({grant_type => 'client_credentials', scope => 'service'},
                 basic('batch', $BATCH->{secret}));
ok t_cmp($r->code, 200, 'client_credentials with Basic');
ok t_absent($j, 'refresh_token', 'no refresh token for client_credentials');
{
    my ($lr, $lj) = csc_call('v2', 'credentials/list', {}, token => $j->{access_token}, prefix => $A);
    ok t_member($lj->{credentialIDs}, 'frank-p256', 'acts as its user (frank)');
}
($r, $j) = token({grant_type => 'client_credentials', client_id => 'batch',
                  client_secret => $BATCH->{secret}, scope => 'credential'});
ok t_cmp(err($r, $j), '400|invalid_scope|Invalid parameter scope', 'client_secret_post, unknown scope');

# ---- refresh rotation and reuse ----
($code) = code_for();
($r, $j) = token({grant_type => 'authorization_code', code => $code, redirect_uri => $CB,
                  client_id => 'web-app', client_secret => $WEB->{secret}});
ok t_cmp($r->code, 200, 'client_secret_post exchange');
my ($a1, $r1) = @$j{qw(access_token refresh_token)};
($r, $j) = token({grant_type => 'refresh_token', refresh_token => $r1}, @web);
ok t_cmp($r->code, 200, 'refresh');
my ($a2, $r2) = @$j{qw(access_token refresh_token)};
ok t_true($r2 && $r2 ne $r1, 'rotated', $j);
($r, $j) = token({grant_type => 'refresh_token', refresh_token => $r2},
                 basic('other-app', $OTHER->{secret}));
ok t_cmp(err($r, $j), '400|invalid_grant|Invalid parameter refresh_token', "another client's refresh token");
ok t_cmp(list_status($a2), 200, '... left alone');
($r, $j) = csc_call('v2', 'auth/login', {refresh_token => $r2}, prefix => $A);
ok t_cmp($r->code, 400, 'auth/login does not take an OAuth refresh token');
($r, $j) = token({grant_type => 'refresh_token', refresh_token => $r1}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Invalid parameter refresh_token', 'a rotated refresh token reused');
ok t_cmp(list_status($a2), '401|invalid_token|The access token is not valid', 'reuse revoked the family');
($r, $j) = token({grant_type => 'refresh_token', refresh_token => $r2}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Invalid parameter refresh_token', 'its newest refresh token too');
{
    my ($c2) = code_for(client_id => 'code-only');
    ($r, $j) = token({grant_type => 'authorization_code', code => $c2, redirect_uri => $CB},
                     basic('code-only', $fx->{clients}{'code-only'}{secret}));
    ok t_true($r->code == 200 && !exists $j->{refresh_token}, 'no refresh token without the refresh_token grant', $j);
}

{
    # sixteen concurrent rotations of one refresh token: one wins
    my ($c5) = code_for();
    my (undef, $j5) = token({grant_type => 'authorization_code', code => $c5, redirect_uri => $CB}, @web);
    my ($wins, $n) = race(16, sub {
        (oa_post("$A/oauth2/token", {grant_type => 'refresh_token',
                                     refresh_token => $j5->{refresh_token}}, @web))[0];
    });
    ok t_cmp("$wins of $n", '1 of 16', 'sixteen concurrent refreshes of one token: one wins');
}

# ---- revocation, seen by every child ----
($code) = code_for();
(undef, $j) = token({grant_type => 'authorization_code', code => $code, redirect_uri => $CB}, @web);
my ($a3, $r3) = @$j{qw(access_token refresh_token)};
($r, $j) = oa_post("$A/oauth2/revoke", {token => $a3}, basic('other-app', $OTHER->{secret}));
ok t_cmp(err($r, $j), '400|invalid_request|Invalid string parameter token', "another client cannot revoke it");
($r, $j) = oa_post("$A/oauth2/revoke", {token => $a3, token_type_hint => 'access_token'}, @web);
ok t_cmp($r->code, 204, 'revoke an access token: 204');
my @seen = map { list_status($a3) } 1 .. 12;
ok t_cmp(scalar(grep { $_ eq '401|invalid_token|The access token is not valid' } @seen), 12,
         'refused by every child (12 fresh connections)');
($r, $j) = token({grant_type => 'refresh_token', refresh_token => $r3}, @web);
ok t_cmp($r->code, 200, 'revoking an access token keeps the refresh token');
my ($a4, $r4) = @$j{qw(access_token refresh_token)};
($r, $j) = oa_post("$A/revoke", {token => $r4, client_id => 'web-app', client_secret => $WEB->{secret}});
ok t_cmp($r->code, 204, 'revoke the refresh token at <base>/revoke (EUDI Kotlin path)');
ok t_cmp(list_status($a4), '401|invalid_token|The access token is not valid', 'it takes its access tokens along');
($r, $j) = token({grant_type => 'refresh_token', refresh_token => $r4}, @web);
ok t_cmp(err($r, $j), '400|invalid_grant|Invalid parameter refresh_token', 'revoked refresh token refused');
($r, $j) = oa_post("$A/oauth2/revoke", {token_type_hint => 'access_token'}, @web);
ok t_cmp(err($r, $j), '400|invalid_request|Missing parameter token', 'revoke without token');
($r, $j) = oa_post("$A/oauth2/revoke", {token => 'x', token_type_hint => 'id_token'}, @web);
ok t_cmp(err($r, $j), '400|invalid_request|Invalid parameter token_type_hint', 'bad hint');

# ---- authorization request errors ----
sub authz {
    my (%q) = @_;
    return oa_get("$A/oauth2/authorize?" . form_query(%q));
}
my %good = (response_type => 'code', client_id => 'web-app', redirect_uri => $CB, state => 's1');
$r = authz(%good, redirect_uri => 'https://evil.example/cb');
ok t_true($r->code == 400 && !$r->header('Location') && $r->content =~ /redirect_uri parameter does not match/,
          'unregistered redirect URI: a page, no redirect', $r->code . ' ' . $r->content);
ok t_cmp($r->header('Content-Type'), 'text/html; charset=utf-8', 'an HTML page');
$r = authz(%good, client_id => 'nobody');
ok t_true($r->code == 400 && $r->content =~ /Invalid parameter client_id/, 'unknown client: a page', $r->content);
$r = authz(%good, response_type => 'token');
ok t_cmp($r->header('Location'), "$CB?error=unsupported_response_type&error_description=Invalid%20parameter%20response_type&state=s1&iss=" . uri(oa_base() . $A),
         'implicit grant refused on the redirect');
$r = authz(%good, scope => 'admin');
ok t_cmp(query_of($r->header('Location'))->{error}, 'invalid_scope', 'unknown scope');
$r = authz(%good, code_challenge => 'a' x 43, code_challenge_method => 'plain');
ok t_cmp(query_of($r->header('Location'))->{error_description}, 'Invalid parameter code_challenge_method', 'plain refused');
$r = authz(%good, code_challenge => 'a' x 43);
ok t_cmp(query_of($r->header('Location'))->{error_description}, 'Invalid parameter code_challenge_method', 'no method means plain: refused');
$r = authz(%good, client_id => 'wallet', redirect_uri => 'eu.europa.ec.wallet:/cb');
ok t_cmp($r->header('Location'), 'eu.europa.ec.wallet:/cb?error=invalid_request&error_description=Missing%20parameter%20code_challenge&state=s1&iss=' . uri(oa_base() . $A),
         'a public client without PKCE');
$r = authz(%good, prompt => 'none');
ok t_cmp(query_of($r->header('Location'))->{error}, 'login_required', 'prompt=none');
$r = oa_get("$A/oauth2/authorize?client_id=web-app&client_id=x");
ok t_true($r->code == 400 && $r->content =~ /Malformed request/, 'repeated parameter: a page', $r->content);

# ---- the pages ----
$r = authz(%good, lang => 'de-DE', prompt => 'login');
my $html = $r->content;
ok t_true($html =~ /<html lang="de">/ && $html =~ /Anmelden/, 'lang de: German texts', $html);
ok t_true($html =~ /Web &lt;Signing&gt; App/ && $html !~ /<Signing>/, 'client name escaped', $html);
ok t_true($html =~ /autocomplete="username"/ && $html =~ /autocomplete="current-password"/
          && $html =~ /<label for="username">/ && $html =~ /<label for="password">/, 'labelled fields with autocomplete tokens', $html);
ok t_cmp($r->header('X-Frame-Options'), 'DENY', 'no framing');
ok t_true(($r->header('Content-Security-Policy') // '') =~ /frame-ancestors 'none'/, 'CSP frame-ancestors none', $r->header('Content-Security-Policy'));
ok t_true(($r->header('Set-Cookie') // '') =~ /^csc_oauth2=[\w-]{43}; Path=\/oa\/csc\/oauth2; Max-Age=600; HttpOnly; SameSite=Lax$/,
          'the browser cookie', $r->header('Set-Cookie'));
{
    my $f = hidden_fields($html);
    my $cookie = cookie_of($r);
    my ($lr) = oa_post("$A/oauth2/login", {%$f, username => 'alice', password => 'alice-secret'});
    ok t_true($lr->code == 400 && $lr->content =~ /abgelaufen|expired/, 'no cookie: refused', $lr->code);
    ($lr) = oa_post("$A/oauth2/login", {%$f, csrf => 'A' x 43, username => 'alice', password => 'alice-secret'},
                    Cookie => $cookie);
    ok t_cmp($lr->code, 400, 'wrong CSRF token: refused');
    ($lr) = oa_post("$A/oauth2/login", {%$f, username => 'alice', password => 'wrong'}, Cookie => $cookie);
    ok t_true($lr->code == 200 && $lr->content =~ /Benutzername oder Passwort ist falsch/
              && $lr->content =~ /value="alice"/, 'wrong password: the form again, with the message', $lr->content);
    ($lr) = oa_post("$A/oauth2/consent", {%$f, decision => 'approve'}, Cookie => $cookie);
    ok t_true($lr->code == 400, 'consent before sign-in: refused', $lr->code);
    ($lr) = oa_post("$A/oauth2/login", {%$f, username => 'alice', password => 'alice-secret'}, Cookie => $cookie);
    my $f2 = hidden_fields($lr->content);
    ok t_true($lr->content =~ /Zugriff erlauben/ && $f2->{csrf} ne $f->{csrf}, 'consent page, new CSRF token', $lr->content);
    ($lr) = oa_post("$A/oauth2/consent", {%$f, decision => 'approve'}, Cookie => $cookie);
    ok t_cmp($lr->code, 400, 'the pre-sign-in CSRF token cannot approve');
}
{
    # a double submit of consent gives one code
    my $r0 = authz(%good);
    my $cookie = cookie_of($r0);
    my ($lr) = oa_post("$A/oauth2/login", {%{hidden_fields($r0->content)}, username => 'bob', password => 'bob-secret'},
                       Cookie => $cookie);
    my $f = hidden_fields($lr->content);
    my ($wins, $n, @a) = race(16, sub {
        my ($cr) = oa_post("$A/oauth2/consent", {%$f, decision => 'approve'}, Cookie => $cookie);
        return HTTP::Response->new($cr->code == 302 ? 200 : $cr->code, '', [], $cr->header('Location') // '');
    });
    ok t_cmp("$wins of $n", '1 of 16', 'sixteen concurrent approvals: one code');
}
{
    my ($c, $dq) = authorize_code(client_id => 'web-app', redirect_uri => $CB, user => 'bob',
                                  password => 'bob-secret', decision => 'deny', state => 'd');
    ok t_cmp("$dq->{error}|$dq->{error_description}|$dq->{state}", 'access_denied|The user denied the request|d', 'deny');
}
{
    # wrong passwords on the form count like auth/login's (CSCLoginLimit 3),
    # per user name on the whole server: ivan is spent by no other test, as
    # 016's hugo, two-thirds refilled a minute later, once was here
    my $r0 = authz(%good);
    my $cookie = cookie_of($r0);
    my $f = hidden_fields($r0->content);
    my @codes = map { (oa_post("$A/oauth2/login", {%$f, username => 'ivan', password => $_}, Cookie => $cookie))[0]->code }
                qw(bad1 bad2 bad3 bad4 ivan-secret);
    ok t_cmp("@codes", '200 200 200 429 429', 'the fourth wrong password is throttled, and then the right one too');
}
{
    my $r0 = oa_get('/oat/csc/oauth2/authorize?' . form_query(%good, lang => 'fr'));
    ok t_true($r0->content =~ /id="custom-fr"/ && $r0->content =~ /Web &lt;Signing&gt; App/,
              "the admin's French template", $r0->content);
    $r0 = oa_get('/oat/csc/oauth2/authorize?' . form_query(%good));
    ok t_true($r0->content =~ /id="custom"/, "the admin's default template", $r0->content);
}

{
    # signed in by another module: straight to consent
    my %q = (%good, state => 'ext');
    my $r0 = oa_get('/oaext/csc/oauth2/authorize?' . form_query(%q), basic('carol', 'nope'));
    ok t_cmp($r0->code, 401, 'external: httpd refuses a wrong password itself');
    $r0 = oa_get('/oaext/csc/oauth2/authorize?' . form_query(%q), basic('bob', 'bob-secret'));
    ok t_true($r0->code == 200 && $r0->content =~ /name="decision"/ && $r0->content !~ /name="password"/
              && $r0->content =~ /<strong>bob<\/strong>/, 'external user: the consent page, no sign-in', $r0->content);
    my ($cr) = oa_post('/oaext/csc/oauth2/consent', {%{hidden_fields($r0->content)}, decision => 'approve'},
                       Cookie => cookie_of($r0));
    my $cq = query_of($cr->header('Location') // '');
    ($r, $j) = oa_post('/oaext/csc/oauth2/token', {grant_type => 'authorization_code', code => $cq->{code},
                       redirect_uri => $CB}, @web);
    my ($lr, $lj) = csc_call('v2', 'credentials/list', {}, token => $j->{access_token}, prefix => '/oaext/csc');
    ok t_member($lj->{credentialIDs}, 'bob-rsa', "the code gives bob's token");
}

# ---- pushed authorization requests ----
($r, $j) = oa_post("$A/oauth2/pushed_authorize", {%good, code_challenge => $challenge,
                   code_challenge_method => 'S256', prompt => 'login'}, @web);
ok t_true($r->code == 201 && $j->{request_uri} =~ /^urn:ietf:params:oauth:request_uri:[\w-]{43}$/
          && $j->{expires_in} == 90, 'PAR: 201 with request_uri and expires_in', $j);
my $ru = $j->{request_uri};
$r = oa_get("$A/oauth2/authorize?" . form_query(client_id => 'other-app', request_uri => $ru));
ok t_true($r->code == 400 && $r->content =~ /Invalid parameter request_uri/, "another client's request_uri", $r->content);
$r = oa_get("$A/oauth2/authorize?" . form_query(client_id => 'web-app', request_uri => $ru, state => 'ignored'));
ok t_true($r->code == 400, 'a request_uri is spent even by a wrong client', $r->code);
($r, $j) = oa_post("$A/oauth2/pushed_authorize", {%good, code_challenge => $challenge, code_challenge_method => 'S256'}, @web);
$ru = $j->{request_uri};
$r = oa_get("$A/oauth2/authorize?" . form_query(client_id => 'web-app', request_uri => $ru));
ok t_true($r->code == 200 && $r->content =~ /name="password"/, 'PAR then authorize: the sign-in page', $r->code);
$r = oa_get("$A/oauth2/authorize?" . form_query(client_id => 'web-app', request_uri => $ru));
ok t_true($r->code == 400 && $r->content =~ /Invalid parameter request_uri/, 'request_uri reuse refused', $r->content);
{
    my (undef, $pj) = oa_post("$A/oauth2/pushed_authorize", {%good}, @web);
    my ($wins, $n) = race(16, sub {
        oa_get("$A/oauth2/authorize?" . form_query(client_id => 'web-app', request_uri => $pj->{request_uri}));
    });
    ok t_cmp("$wins of $n", '1 of 16', 'sixteen browsers with one request_uri: one sign-in page');
}
($r, $j) = oa_post("$A/oauth2/pushed_authorize", {%good, redirect_uri => 'https://evil.example/'}, @web);
ok t_cmp(err($r, $j), '400|invalid_request|redirect_uri parameter does not match', 'PAR checks the redirect URI');
($r, $j) = oa_post("$A/oauth2/pushed_authorize", {%good, request_uri => 'urn:x'}, @web);
ok t_cmp(err($r, $j), '400|invalid_request|Invalid parameter request_uri', 'PAR with request_uri');
($r, $j) = oa_post("$A/oauth2/pushed_authorize", {%good});
ok t_cmp(err($r, $j), '401|invalid_request|Client authorization required', 'PAR needs client authentication');

sub uri { require URI::Escape; URI::Escape::uri_escape($_[0]) }
