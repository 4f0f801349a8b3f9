# SPDX-License-Identifier: Apache-2.0
# The life of a login (a grant): a rotated refresh token presented again
# ends the whole grant, and of many concurrent rotations one wins; the
# grant has an absolute lifetime that rotation does not extend; a SAD
# serves only the login that authorized it and dies with it; a user holds
# at most CSCMaxGrantsPerUser logins and a login at most 16 SADs, the
# oldest going first.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use CSC::Test;

plan tests => 39;

my $pin = fixture()->{credentials}{'gina-pin'}{pin};
my $ES256 = '1.2.840.10045.4.3.2';
my $BAD_REFRESH = '400|invalid_request|Invalid refresh_token';
my $BAD_TOKEN = '401|invalid_token|The access token is not valid';
my $BAD_SAD = '400|invalid_request|Invalid parameter SAD';
sub b64 { encode_base64($_[0], '') }
sub remembered {
    my ($prefix) = @_;
    my (undef, $j) = login('v2', 'gina', 'gina-secret', body => {rememberMe => JSON::PP::true},
                           prefix => $prefix // '/csc');
    return ($j->{access_token}, $j->{refresh_token}, $j);
}
sub refresh {
    my ($rt, %o) = @_;
    return csc_call('v2', 'auth/login', {refresh_token => $rt, ($o{rotate} ? (rememberMe => JSON::PP::true) : ())},
                    prefix => $o{prefix} // '/csc');
}
sub list_code {
    my ($tok, $prefix) = @_;
    my ($r, $j) = csc_call('v1', 'credentials/list', {}, token => $tok, prefix => $prefix // '/csc');
    return $r->code == 200 ? 200 : error_is($r, $j);
}
sub authorize {
    my ($tok, %o) = @_;
    my ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'gina-pin', numSignatures => 2, PIN => $pin},
                           token => $tok, prefix => $o{prefix} // '/csc');
    die 'authorize: ' . error_is($r, $j) unless $r->code == 200;
    return $j->{SAD};
}
sub sign {
    my ($tok, $sad, %o) = @_;
    my ($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'gina-pin', SAD => $sad, signAlgo => $ES256,
                           hash => [b64(CSC::Test::random_digest('sha256'))]}, token => $tok,
                           prefix => $o{prefix} // '/csc');
    return $r->code == 200 ? 200 : error_is($r, $j);
}

my ($r, $j);

# --- replaying a rotated refresh token ends the grant (RFC 9700 4.14)
my ($a1, $r1) = remembered();
my ($other) = remembered();
($r, $j) = refresh($r1, rotate => 1);
ok t_cmp($r->code, 200, 'rotation');
my ($a2, $r2) = ($j->{access_token}, $j->{refresh_token});
ok t_cmp(list_code($a2), 200, 'the new access token works');
($r, $j) = refresh($r1);
ok t_cmp(error_is($r, $j), $BAD_REFRESH, 'the rotated refresh token is refused');
($r, $j) = refresh($r2, rotate => 1);
ok t_cmp(error_is($r, $j), $BAD_REFRESH, 'and its replay revoked the successor too');
ok t_cmp(list_code($a1), $BAD_TOKEN, 'the first access token of the grant is revoked');
ok t_cmp(list_code($a2), $BAD_TOKEN, 'the access token from the rotation is revoked');
ok t_cmp(list_code($other), 200, "the user's other login is untouched");
{
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $log or die "$log: $!";
    my @w = grep { /rotated refresh token of user 'gina' was presented again/ } <$fh>;
    ok t_cmp(scalar(@w) >= 1, 1, 'the replay is logged as a warning');
    ok t_true(!grep(/\Q$r1\E|\Q$r2\E/, @w), 'without the token', \@w);
}

# --- of 16 concurrent rotations of one refresh token exactly one wins
{
    my (undef, $rt) = remembered();
    my ($wins, $total, @answers) = race(16, sub { refresh($rt, rotate => 1) });
    ok t_op("$wins/$total", 'eq', '1/16', 'one rotation wins') or print STDERR map { "# $_\n" } @answers;
    my ($winner) = map { /^200 (.*)$/ ? $JSON->decode($1) : () } @answers;
    # the others were replays of a spent token: the grant is gone
    ($r, $j) = refresh($winner->{refresh_token}, rotate => 1);
    ok t_cmp(error_is($r, $j), $BAD_REFRESH, "the winner's successor went with the grant");
    ok t_cmp(list_code($winner->{access_token}), $BAD_TOKEN, "and the winner's access token");
}

# --- the absolute lifetime (CSCGrantLifetime 4s on /grant/csc)
{
    my $t0 = time;
    my ($at, $rt, $lj) = remembered('/grant/csc');
    ok t_op($lj->{expires_in}, '<=', 4, 'expires_in is cut to what the grant has left');
    sleep 2;
    ($r, $j) = refresh($rt, rotate => 1, prefix => '/grant/csc');
    ok t_cmp($r->code, 200, 'rotation within the lifetime');
    ok t_op($j->{expires_in}, '<=', 3, 'a rotated access token lives no longer than the grant');
    my ($at2, $rt2) = ($j->{access_token}, $j->{refresh_token});
    sleep 1 while time < $t0 + 6;
    ($r, $j) = refresh($rt2, rotate => 1, prefix => '/grant/csc');
    ok t_cmp(error_is($r, $j), $BAD_REFRESH, 'rotation did not extend the grant');
    ok t_cmp(list_code($at2, '/grant/csc'), '401|expired_token|The access token is expired',
             'its access token expired with it');
}

# --- a SAD serves only the login that authorized it
{
    my ($at, $rt) = remembered();
    my ($second) = remembered();
    my $sad = authorize($at);
    ok t_cmp(sign($second, $sad), $BAD_SAD, "another login of the same user cannot use the SAD");
    ok t_cmp(sign($at, $sad), 200, 'the login that authorized it can');
    ($r) = csc_call('v1', 'auth/revoke', {token => $rt, token_type_hint => 'refresh_token'}, token => $at);
    ok t_cmp($r->code, 204, 'the grant is revoked');
    my $later = login('v1', 'gina', 'gina-secret');
    ok t_cmp(sign($later, $sad), $BAD_SAD, 'a later login cannot sign with the SAD of the revoked one');
    # an access-only login ends with its last token, SADs and all
    my $plain = login('v1', 'gina', 'gina-secret');
    my $sad2 = authorize($plain);
    ($r) = csc_call('v1', 'auth/revoke', {token => $plain}, token => $plain);
    ok t_cmp($r->code, 204, 'the only token of a login revoked');
    my $again = login('v1', 'gina', 'gina-secret');
    ok t_cmp(sign($again, $sad2), $BAD_SAD, 'its SAD went with it');
}

# --- CSCMaxGrantsPerUser 3 on /grant/csc: a fourth login ends the first
{
    my @t = map { scalar login('v1', 'gina', 'gina-secret', prefix => '/grant/csc') } 1 .. 4;
    my $sad = authorize($t[1], prefix => '/grant/csc');
    ok t_cmp(list_code($t[0], '/grant/csc'), $BAD_TOKEN, 'the oldest login is ended');
    ok t_cmp(join(',', map { list_code($_, '/grant/csc') } @t[1 .. 3]), '200,200,200', 'the three newest work');
    push @t, scalar login('v1', 'gina', 'gina-secret', prefix => '/grant/csc');
    ok t_cmp(list_code($t[1], '/grant/csc'), $BAD_TOKEN, 'a fifth ends the second');
    ok t_cmp(sign($t[2], $sad, prefix => '/grant/csc'), $BAD_SAD, "and the second's SAD with it");
    my $bob = login('v1', 'bob', 'bob-secret', prefix => '/grant/csc');
    ok t_cmp(list_code($bob, '/grant/csc'), 200, 'other users are not affected');
}

# --- at most 16 SADs per login, and per externally authenticated user
{
    my $at = login('v1', 'gina', 'gina-secret');
    my @sads = map { authorize($at) } 1 .. 17;
    ok t_cmp(sign($at, $sads[0]), $BAD_SAD, 'a 17th SAD of one login ends the oldest');
    ok t_cmp(sign($at, $sads[1]), 200, 'the second oldest still signs');
    ok t_cmp(sign($at, $sads[16]), 200, 'the newest signs');
    my $auth = 'Basic ' . encode_base64('gina:gina-secret', '');
    my @ext;
    for (1 .. 17) {
        ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'gina-pin', numSignatures => 1, PIN => $pin},
                            authorization => $auth, prefix => '/ext/csc');
        push @ext, $j->{SAD} // '';
    }
    ok t_cmp(scalar(grep { length } @ext), 17, 'an external user authorizes 17 times');
    my $sign_ext = sub {
        my ($sad) = @_;
        my ($rr, $jj) = csc_call('v1', 'signatures/signHash', {credentialID => 'gina-pin', SAD => $sad,
            signAlgo => $ES256, hash => [b64(CSC::Test::random_digest('sha256'))]},
            authorization => $auth, prefix => '/ext/csc');
        return $rr->code == 200 ? 200 : error_is($rr, $jj);
    };
    ok t_cmp($sign_ext->($ext[0]), $BAD_SAD, 'the oldest of the external user\'s SADs is gone');
    ok t_cmp($sign_ext->($ext[16]), 200, 'the newest signs');
    ok t_cmp(sign($at, $ext[16]), $BAD_SAD, 'a token login cannot use the external SAD');
    ok t_cmp($sign_ext->($sads[16]), $BAD_SAD, 'nor the external user a SAD of the token login');
}

# --- a token from one grant is no key to another
{
    my ($at) = remembered();
    my ($bt) = remembered();
    my $forged = substr($at, 0, 16) . substr($bt, 16);
    ok t_cmp(list_code($forged), $BAD_TOKEN, 'grant id of one token with the secret of another');
    ok t_cmp(list_code($at . 'x'), $BAD_TOKEN, 'a token with a byte more');
    ok t_cmp(list_code(substr($at, 0, 16)), $BAD_TOKEN, 'a grant id alone');
}
