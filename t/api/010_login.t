# SPDX-License-Identifier: Apache-2.0
# auth/login (Basic through two authn providers, refresh tokens) and
# auth/revoke, with the exact v1 and v2 error strings.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use CSC::Test;

plan tests => 44;

sub basic { 'Basic ' . encode_base64(join(':', @_), '') }

# --- Basic login, file provider (alice) and dbm provider (carol)
my ($r, $j) = csc_call('v1', 'auth/login', {}, authorization => basic('alice', 'alice-secret'));
ok t_cmp($r->code, 200, 'alice logs in through mod_authn_file');
ok t_cmp(length($j->{access_token}) >= 40, 1, 'access token is long');
ok t_cmp($j->{expires_in}, 600, 'expires_in follows the global CSCTokenLifetime 10m');
ok t_absent($j, 'refresh_token', 'no refresh token without rememberMe');
my $alice = $j->{access_token};

($r, $j) = csc_call('v2', 'auth/login', {}, authorization => basic('carol', 'carol-secret'));
ok t_cmp($r->code, 200, 'carol logs in through mod_authn_dbm');
my $carol = $j->{access_token};
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $carol);
ok t_cmp(join(',', @{$j->{credentialIDs}}), 'carol-ec', "carol's token lists carol's credential");

($r, $j) = csc_call('v1', 'auth/login', {}, authorization => basic('alice', 'wrong'));
ok t_cmp(error_is($r, $j), '400|authentication_error|An error occurred during authentication process', 'wrong password');
($r, $j) = csc_call('v2', 'auth/login', {}, authorization => basic('nobody', 'x'));
ok t_cmp(error_is($r, $j), '400|authentication_error|An error occurred during authentication process', 'unknown user');
($r, $j) = csc_call('v1', 'auth/login', {});
ok t_cmp(error_is($r, $j), '401|invalid_request|Malformed authentication parameter.', 'v1 no credentials');
($r, $j) = csc_call('v2', 'auth/login', {});
ok t_cmp(error_is($r, $j), '401|invalid_request|Malformed authentication parameter', 'v2 no credentials');
($r, $j) = csc_call('v1', 'auth/login', {}, authorization => 'Basic !!!notbase64');
ok t_cmp(error_is($r, $j), '400|invalid_request|Malformed username-password.', 'v1 undecodable Basic');
($r, $j) = csc_call('v2', 'auth/login', {}, authorization => 'Basic ' . encode_base64('nocolon', ''));
ok t_cmp(error_is($r, $j), '400|invalid_request|Malformed username-password', 'v2 Basic without colon');
($r, $j) = csc_call('v1', 'auth/login', {}, authorization => 'Digest username="alice"');
ok t_cmp(error_is($r, $j), '401|invalid_request|Malformed authentication parameter.', 'unsupported scheme');
ok t_cmp($r->header('WWW-Authenticate') // '', qr/^Bearer/, '401 names the Bearer scheme');

# --- rememberMe, refresh, rotation
($r, $j) = csc_call('v1', 'auth/login', {rememberMe => JSON::PP::true}, authorization => basic('bob', 'bob-secret'));
ok t_cmp($r->code, 200, 'rememberMe login');
my $refresh = $j->{refresh_token};
ok t_true(defined $refresh && length $refresh && $refresh ne $j->{access_token}, 'refresh token issued', $j);
($r, $j) = csc_call('v1', 'auth/login', {refresh_token => $refresh});
ok t_cmp($r->code, 200, 'login with the refresh token');
my $bob = $j->{access_token};
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $bob);
ok t_cmp(join(',', @{$j->{credentialIDs}}), 'bob-rsa', 'refreshed token is bob\'s');
($r, $j) = csc_call('v2', 'auth/login', {refresh_token => $refresh, rememberMe => JSON::PP::true});
ok t_cmp($r->code, 200, 'refresh with rotation');
my $refresh2 = $j->{refresh_token};
ok t_true(defined $refresh2 && $refresh2 ne $refresh, 'a new refresh token', $refresh2);
($r, $j) = csc_call('v2', 'auth/login', {refresh_token => $refresh});
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid refresh_token', 'rotated refresh token is spent');
($r, $j) = csc_call('v1', 'auth/login', {refresh_token => 12});
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid string parameter: refresh_token', 'refresh_token not a string');
($r, $j) = csc_call('v1', 'auth/login', {refresh_token => 'made-up'});
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid refresh_token', 'unknown refresh token');
($r, $j) = csc_call('v1', 'auth/login', {refresh_token => $alice});
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid refresh_token', 'an access token is no refresh token');
($r, $j) = csc_call('v1', 'auth/login', {rememberMe => 'yes'}, authorization => basic('alice', 'alice-secret'));
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) boolean parameter rememberMe', 'rememberMe type');

# --- revoke
($r, $j) = csc_call('v1', 'auth/revoke', {}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter token', 'revoke without token');
($r, $j) = csc_call('v1', 'auth/revoke', {token => $alice, token_type_hint => 'id_token'}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid string parameter token_type_hint', 'bad hint');
($r, $j) = csc_call('v1', 'auth/revoke', {token => 'forged'}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid string parameter token', 'unknown token');
($r, $j) = csc_call('v1', 'auth/revoke', {token => $bob}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid string parameter token', "alice cannot revoke bob's token");
($r, $j) = csc_call('v1', 'auth/revoke', {token => $alice}, authorization => 'Basic abc');
ok t_cmp(error_is($r, $j), '400|invalid_request|The request is missing a REQUIRED parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.', 'v1 revoke: Authorization not Bearer');
($r, $j) = csc_call('v2', 'auth/revoke', {token => $alice}, authorization => 'Basic abc');
ok t_cmp(error_is($r, $j), '400|invalid_request|Malformed authorization header', 'v2 revoke: Authorization not Bearer');
($r, $j) = csc_call('v1', 'auth/revoke', {token => $alice, token_type_hint => 'access_token'}, token => $alice);
ok t_cmp($r->code, 204, 'alice revokes her access token');
ok t_cmp($r->content, '', '204 has no body');
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $alice);
ok t_cmp(error_is($r, $j), '401|invalid_token|The access token is not valid', 'revoked token refused');

# revoking a refresh token takes the access tokens of its grant along
# ($refresh2 went with its grant when the spent $refresh came back)
my (undef, $bl) = login('v1', 'bob', 'bob-secret', body => {rememberMe => JSON::PP::true});
$refresh2 = $bl->{refresh_token};
($r, $j) = csc_call('v1', 'auth/login', {refresh_token => $refresh2});
my $bob2 = $j->{access_token};
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $bob2);
ok t_cmp($r->code, 200, 'token of the grant works');
($r, $j) = csc_call('v1', 'auth/revoke', {token => $refresh2, token_type_hint => 'refresh_token'}, token => $bob2);
ok t_cmp($r->code, 204, 'refresh token revoked');
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $bob2);
ok t_cmp(error_is($r, $j), '401|invalid_token|The access token is not valid', 'access token of the revoked grant refused');
($r, $j) = csc_call('v1', 'auth/login', {refresh_token => $refresh2});
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid refresh_token', 'revoked refresh token refused');
# revoking an access token leaves its refresh token alone
my ($tok, $lj) = login('v1', 'bob', 'bob-secret', body => {rememberMe => JSON::PP::true});
($r, $j) = csc_call('v1', 'auth/revoke', {token => $tok}, token => $tok);
($r, $j) = csc_call('v1', 'auth/login', {refresh_token => $lj->{refresh_token}});
ok t_cmp($r->code, 200, 'refresh token survives revocation of its access token');

# --- tokens belong to the store (tenant) they were issued for
my $dave = do {
    Apache::TestRequest::module('csc_tenant');
    my ($t, $lj2) = login('v1', 'dave', 'dave-secret');
    ok t_cmp($lj2->{expires_in}, 3600, 'the tenant overrides the global 10m with 3600, the default value');
    my ($r2, $j2) = csc_call('v1', 'credentials/list', {}, token => $t);
    ok t_cmp(join(',', @{$j2->{credentialIDs}}), 'dave-ec', 'tenant vhost lists its own store');
    ok t_cmp($j2 && $r2->code, 200, 'tenant call ok');
    Apache::TestRequest::module('default');
    $t;
};
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $dave);
ok t_cmp(error_is($r, $j), '401|invalid_token|The access token is not valid', "a tenant's token is not valid on the main host");
($r, $j) = csc_call('v1', 'auth/login', {}, authorization => basic('dave', 'dave-secret'));
ok t_cmp(error_is($r, $j), '400|authentication_error|An error occurred during authentication process', "tenant users do not exist on the main host");
