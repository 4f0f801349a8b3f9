# SPDX-License-Identifier: Apache-2.0
# One user cannot fill the shared state: 1,500 remembered logins by hugo
# (more than the suite's 4,096 slots would hold at three entries each)
# leave him his newest CSCMaxGrantsPerUser logins, and another user keeps
# logging in, authorizing and signing.  csc-admin revoke-logins ends every
# login of a user in the running server.  A tenant's users together hold
# at most CSCMaxGrantsPerTenant logins (3 on /quota/csc, its own store).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use CSC::Test;

plan tests => 22;

my $ES256 = '1.2.840.10045.4.3.2';
sub b64 { encode_base64($_[0], '') }
sub list_code {
    my ($tok, $prefix) = @_;
    my ($r, $j) = csc_call('v1', 'credentials/list', {}, token => $tok, prefix => $prefix // '/flood/csc');
    return $r->code == 200 ? 200 : error_is($r, $j);
}
sub works {   # login, authorize and sign as gina; "200,200,200" when all answer 200
    my ($prefix) = @_;
    my ($r, $j) = csc_call('v1', 'auth/login', {}, authorization => 'Basic ' . encode_base64('gina:gina-secret', ''),
                           prefix => $prefix);
    my @codes = ($r->code);
    my $tok = $j->{access_token} // '';
    ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'gina-pin', numSignatures => 1,
                        PIN => fixture()->{credentials}{'gina-pin'}{pin}}, token => $tok, prefix => $prefix);
    push @codes, $r->code;
    ($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'gina-pin', SAD => $j->{SAD} // '',
                        signAlgo => $ES256, hash => [b64(CSC::Test::random_digest('sha256'))]},
                        token => $tok, prefix => $prefix);
    push @codes, $r->code;
    return join ',', @codes;
}

my $hugo_auth = 'Basic ' . encode_base64('hugo:hugo-secret', '');
my ($r, $j) = csc_call('v1', 'auth/login', {rememberMe => JSON::PP::true}, authorization => $hugo_auth,
                       prefix => '/flood/csc');
my ($first, $first_refresh) = ($j->{access_token}, $j->{refresh_token});
my $hugo_sad = do {
    my ($rr, $jj) = csc_call('v1', 'credentials/authorize', {credentialID => 'hugo-pin', numSignatures => 1,
                             PIN => fixture()->{credentials}{'hugo-pin'}{pin}}, token => $first, prefix => '/flood/csc');
    $jj->{SAD};
};

# 6 clients at once, 250 remembered logins each
my ($wins, $total, @answers) = race(6, sub {
    my $last;
    for (1 .. 250) {
        $last = (csc_call('v1', 'auth/login', {rememberMe => JSON::PP::true}, authorization => $hugo_auth,
                          prefix => '/flood/csc'))[0];
        last unless $last->code == 200;
    }
    return $last;
});
ok t_op("$wins/$total", 'eq', '6/6', 'every one of the 1,500 logins succeeds') or print STDERR map { "# $_\n" } @answers;
my $newest = login('v1', 'hugo', 'hugo-secret', prefix => '/flood/csc');
ok t_cmp(list_code($first), '401|invalid_token|The access token is not valid', "hugo's first login was ended");
($r, $j) = csc_call('v1', 'auth/login', {refresh_token => $first_refresh}, prefix => '/flood/csc');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid refresh_token', 'with its refresh token');
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'hugo-pin', SAD => $hugo_sad, signAlgo => $ES256,
                    hash => [b64(CSC::Test::random_digest('sha256'))]}, token => $newest, prefix => '/flood/csc');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', 'and its SAD');
ok t_cmp(list_code($newest), 200, 'his newest login works');
ok t_cmp(works('/flood/csc'), '200,200,200', 'another user logs in, authorizes and signs');
ok t_cmp(works('/csc'), '200,200,200', 'also in another location of the same state');

# --- csc-admin revoke-logins
my @hugo = map { scalar login('v1', 'hugo', 'hugo-secret', prefix => '/flood/csc') } 1 .. 3;
my $gina = login('v1', 'gina', 'gina-secret', prefix => '/flood/csc');
my $state = fixture()->{state_store} || Apache::Test::vars('t_logs') . '/csc-state';
my $out = CSC::Test::admin('revoke-logins', '--state-file', $state, 'hugo');
ok t_cmp($out, "revoked 8 logins of hugo\n", 'csc-admin ends all 8 logins hugo holds');
ok t_cmp(join(',', map { list_code($_) } @hugo, $newest), join(',', ('401|invalid_token|The access token is not valid') x 4),
         'none of his tokens works any more');
ok t_cmp(list_code($gina), 200, "gina's login is untouched");
my $again = login('v1', 'hugo', 'hugo-secret', prefix => '/flood/csc');
ok t_cmp(list_code($again), 200, 'hugo can log in again');
$out = CSC::Test::admin('revoke-logins', '--state-file', $state, 'nosuchuser');
ok t_cmp($out, "revoked 0 logins of nosuchuser\n", 'a user without logins');
my $bad = `'${\ fixture()->{admin}}' --store '${\ fixture()->{main_store}}' revoke-logins --state-file /nonexistent/state hugo 2>&1`;
ok t_cmp($? >> 8, 1, 'a missing state file fails');
ok t_cmp(list_code($again), 200, 'and changes nothing');

# --- CSCMaxGrantsPerTenant 3 on /quota/csc
{
    my $Q = '/quota/csc';
    my (undef, $aj) = login('v1', 'alice', 'alice-secret', prefix => $Q, body => {rememberMe => JSON::PP::true});
    my $bob = login('v1', 'bob', 'bob-secret', prefix => $Q);
    my $gina = login('v1', 'gina', 'gina-secret', prefix => $Q);
    ($r, $j) = csc_call('v1', 'auth/login', {}, authorization => $hugo_auth, prefix => $Q);
    ok t_cmp(error_is($r, $j), '429|temporarily_unavailable|Too many requests, try again later',
             'a fourth login in a tenant of three is refused');
    ok t_cmp($r->header('Retry-After'), 60, 'with Retry-After');
    ok t_cmp(list_code($bob, $Q), 200, 'the logins it holds work');
    my $rt = $aj->{refresh_token};
    my @codes;
    for (1 .. 3) {
        ($r, $j) = csc_call('v1', 'auth/login', {refresh_token => $rt, rememberMe => JSON::PP::true}, prefix => $Q);
        push @codes, $r->code;
        $rt = $j->{refresh_token} // '';
    }
    ok t_cmp("@codes", '200 200 200', 'rotations in a full tenant go on: they add no login');
    ($r, $j) = csc_call('v1', 'auth/login', {}, authorization => $hugo_auth, prefix => $Q);
    ok t_cmp($r->code, 429, 'and the tenant is still full');
    ($r) = csc_call('v1', 'auth/revoke', {token => $gina}, token => $gina, prefix => $Q);
    ok t_cmp($r->code, 204, 'one login ends');
    ($r, $j) = csc_call('v1', 'auth/login', {}, authorization => $hugo_auth, prefix => $Q);
    ok t_cmp($r->code, 200, 'which makes room for another');
    ok t_cmp(works('/flood/csc'), '200,200,200', 'other tenants are not affected');
}
