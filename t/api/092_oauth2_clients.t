# SPDX-License-Identifier: Apache-2.0
# The authorization server as real clients see it: a headless Chromium
# walks the pages (sign-in with a wrong then a right password, consent,
# back at the client with a code), and Authlib, a third-party OAuth 2.0
# client library, runs discovery, PAR, code + PKCE, refresh, revocation,
# client_credentials and a public client.  A client registered here with
# csc-admin works at once, without a restart.  Screenshots of both pages
# are kept in t/logs/screenshots.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use CSC::Test;
use CSC::OAuth2;

plan tests => 32;

my $fx = fixture();
my $base = oa_base() . '/oa/csc';
my $landing = oa_base() . '/landing/cb.html';
my $secret = 'browser-app-secret-0123456789abcdefghijkl';
my $sf = Apache::Test::vars('t_logs') . '/browser-app.secret';
open my $fh, '>', $sf or die; print $fh "$secret\n"; close $fh;
eval { CSC::Test::admin('client', 'remove', 'browser-app') };
# for t/security/999_log_hygiene.t
if (open my $seen, '>>', Apache::Test::vars('t_logs') . '/secrets-seen') {
    print $seen "$secret\n";
    close $seen;
}
CSC::Test::admin('client', 'add', 'browser-app', '--name', 'Browser Test Client',
                 '--secret-file', $sf, '--redirect-uri', $landing);

sub run_json {
    my @cmd = @_;
    my $q = join ' ', map { "'$_'" } @cmd;
    my $out = `$q 2>&1`;
    my ($line) = grep { /^\{/ } split /\n/, $out;
    my $j = $line ? eval { $JSON->decode($line) } : undef;
    print STDERR "# $cmd[0] said:\n", map { "#   $_\n" } split /\n/, $out unless $j;
    return $j || {};
}

my $shots = Apache::Test::vars('t_logs') . '/screenshots';
my $b = run_json('/usr/bin/python3', 't/oauth2/browser_flow.py', $base, 'browser-app',
                 $secret, $landing, 'alice', 'alice-secret', $shots);
ok t_cmp($b->{login_title}, 'Sign in - mod_csc test service', 'Chromium: the sign-in page');
ok t_cmp(join('|', @{$b->{login_labels} || []}), 'User name|Password', 'fields found by their labels');
ok t_cmp(join('|', @{$b->{autocomplete} || []}), 'username|current-password', 'autocomplete tokens');
ok t_cmp($b->{scripts}, 0, 'no script on the page');
ok t_cmp($b->{wrong_password}, 'The user name or the password is wrong.', 'a wrong password is told');
ok t_cmp($b->{consent_title}, 'Allow access? - mod_csc test service', 'the consent page');
ok t_true(($b->{consent_text} // '') =~ /Browser Test Client asks for access/ && $b->{consent_text} =~ /signed in as alice/,
          'it names the client and the user', $b->{consent_text});
ok t_cmp($b->{landed_page}, 'Back at the client', 'landed on the redirect URI');
ok t_cmp($b->{state_matches}, JSON::PP::true, 'with the state sent');
ok t_cmp($b->{iss}, $base, 'and iss');
ok t_cmp($b->{token_status}, 200, 'the code exchanged');
ok t_cmp($b->{token_type}, 'Bearer', 'for a Bearer token');
ok t_cmp($b->{list_status}, 200, 'credentials/list with it');
ok t_member($b->{credentialIDs}, 'alice-ec', "alice's credentials");
ok t_true(-s "$shots/oauth2-login.png" && -s "$shots/oauth2-consent.png", 'screenshots kept', $shots);

my $c = $fx->{clients};
my $a = run_json('/usr/bin/python3', 't/oauth2/authlib_flow.py', $base, 'web-app',
                 $c->{'web-app'}{secret}, 'http://127.0.0.1/cb', 'alice', 'alice-secret',
                 'batch', $c->{batch}{secret}, 'wallet', $c->{wallet}{redirect_uri});
ok t_cmp($a->{issuer_ok}, JSON::PP::true, 'Authlib: metadata issuer');
ok t_cmp($a->{par_status}, 201, 'PAR');
ok t_cmp($a->{token_type}, 'Bearer', 'code + PKCE through the pushed request');
ok t_cmp($a->{has_refresh}, JSON::PP::true, 'with a refresh token');
ok t_cmp($a->{list_status}, 200, 'the library calls credentials/list');
ok t_cmp(join(',', @{$a->{list_has} || []}), 'alice-ec', 'as alice');
ok t_cmp($a->{rotated}, JSON::PP::true, 'refresh rotates');
ok t_cmp($a->{list_after_refresh}, 200, 'the refreshed token works');
ok t_cmp($a->{revoke_status}, 204, 'revocation');
ok t_cmp($a->{list_after_revoke}, 401, 'revoking the refresh token ends its access token');
ok t_cmp($a->{state_mismatch_caught}, 'MismatchingStateException', 'the library checks state');
ok t_cmp($a->{cc_token_type}, 'Bearer', 'client_credentials (client_secret_post)');
ok t_cmp($a->{cc_list}, 200, 'its token works');
ok t_cmp($a->{public_token}, 'Bearer', 'a public client with PKCE');

# the client goes again without a restart, with a request it had pushed
my (undef, $pj) = oa_post('/oa/csc/oauth2/pushed_authorize',
                          {response_type => 'code', redirect_uri => $landing, scope => 'service'},
                          basic('browser-app', $secret));
CSC::Test::admin('client', 'remove', 'browser-app');
my ($r, $j) = oa_post('/oa/csc/oauth2/token', {grant_type => 'authorization_code', code => 'x'},
                      basic('browser-app', $secret));
ok t_cmp(error_is($r, $j), '401|invalid_client|Invalid authorization header', 'a removed client is refused at once');
$r = oa_get('/oa/csc/oauth2/authorize?' . form_query(response_type => 'code', client_id => 'browser-app',
                                                      redirect_uri => $landing));
ok t_true($r->code == 400 && $r->content =~ /Invalid parameter client_id/, '... on the front channel too', $r->code);
$r = oa_get('/oa/csc/oauth2/authorize?' . form_query(client_id => 'browser-app',
                                                      request_uri => $pj->{request_uri} // 'none'));
ok t_true($r->code == 400 && $r->content =~ /Invalid parameter client_id/,
          'and a request it pushed before is refused', $r->code . ' ' . $r->content);
