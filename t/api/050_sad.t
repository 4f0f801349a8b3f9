# SPDX-License-Identifier: Apache-2.0
# The SAD: bound to hashes (compared as bytes), expiry, extendTransaction,
# and single use under a race of parallel requests on several children.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time sleep);
use lib 't/lib';
use CSC::Test;
use CSC::OTP qw(totp);

plan tests => 20;

my $frank = login('v1', 'frank', 'frank-secret');
my $erin = login('v1', 'erin', 'erin-secret');
sub b64 { encode_base64($_[0], '') }
sub b64url { my $s = b64($_[0]); $s =~ tr{+/}{-_}; $s =~ s/=+$//; $s }
my $ES256 = '1.2.840.10045.4.3.2';
my $SHA256 = '2.16.840.1.101.3.4.2.1';

# --- SCAL 2: the SAD signs exactly the authorized hashes
my @h = map { CSC::Test::random_digest('sha256') } 1 .. 3;
my ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-scal2', numSignatures => 2,
    PIN => fixture()->{credentials}{'frank-scal2'}{pin}}, token => $frank);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) array parameter hash', 'SCAL 2 requires hashes');
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-scal2', numSignatures => 2,
    hash => [b64($h[0]), b64($h[1])], PIN => fixture()->{credentials}{'frank-scal2'}{pin}}, token => $frank);
ok t_cmp($r->code, 200, 'authorized for two hashes');
my $sad = $j->{SAD};
sub sign1 { my ($ver, $sad_, @hashes) = @_;
    csc_call($ver, 'signatures/signHash', {credentialID => 'frank-scal2', SAD => $sad_, signAlgo => $ES256,
        ($ver eq 'v1' ? (hash => [@hashes]) : (hashes => [@hashes], hashAlgorithmOID => $SHA256))}, token => $frank) }
($r, $j) = sign1('v1', $sad, b64($h[2]));
ok t_cmp(error_is($r, $j), '400|invalid_request|Hash is not authorized by the SAD.', 'a different hash is refused (v1 text)');
($r, $j) = sign1('v1', $sad, b64url($h[1]));
ok t_cmp($r->code, 200, 'the authorized hash in base64url is the same bytes');
($r, $j) = sign1('v1', $sad, b64($h[1]));
ok t_cmp(error_is($r, $j), '400|invalid_request|Hash is not authorized by the SAD.', 'an authorized hash signs once');
($r, $j) = sign1('v2', $sad, b64($h[0]));
ok t_cmp($r->code, 200, 'the other authorized hash');

# --- extendTransaction: a new SAD for the rest of the transaction, the old
# one superseded (the whole matrix is in 055_extend.t)
my $pin = fixture()->{credentials}{'frank-scal2'}{pin};
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-scal2', numSignatures => 2,
    hash => [b64($h[0]), b64($h[1])], PIN => $pin}, token => $frank);
my $sad1 = $j->{SAD};
($r, $j) = sign1('v1', $sad1, b64($h[0]));
ok t_cmp($r->code, 200, 'first signature of the transaction');
($r, $j) = csc_call('v1', 'credentials/extendTransaction', {credentialID => 'frank-scal2', SAD => $sad1,
    hash => [b64($h[1])]}, token => $frank);
ok t_cmp($r->code, 200, 'extendTransaction for the approved hash that is left');
my $sad2 = $j->{SAD};
ok t_op($sad2, 'ne', $sad1, 'a new SAD');
($r, $j) = sign1('v1', $sad1, b64($h[1]));
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', 'the old SAD is superseded');
($r, $j) = sign1('v1', $sad2, b64($h[1]));
ok t_cmp($r->code, 200, 'the new SAD signs the hash that was left');
($r, $j) = csc_call('v1', 'credentials/extendTransaction', {credentialID => 'frank-scal2', SAD => $sad2,
    hash => [b64($h[0])]}, token => $frank);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', 'nothing left to extend');

# --- expiry (CSCSADLifetime 2 on /short/csc)
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-p256', numSignatures => 1},
                    token => $frank, prefix => '/short/csc');
ok t_cmp($j->{expiresIn}, 2, 'a 2 s SAD');
my $short = $j->{SAD};
sleep 2.5;
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $short, signAlgo => $ES256,
    hash => [b64($h[0])]}, token => $frank, prefix => '/short/csc');
ok t_cmp(error_is($r, $j), '400|invalid_request|SAD expired', 'expired SAD');
($r, $j) = csc_call('v1', 'credentials/extendTransaction', {credentialID => 'frank-p256', SAD => $short},
                    token => $frank, prefix => '/short/csc');
ok t_cmp(error_is($r, $j), '400|invalid_request|SAD expired', 'an expired SAD cannot be extended');

# --- races: N parallel requests on several children, exactly one wins
for my $round (1 .. 2) {
    ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-p256', numSignatures => 1}, token => $frank);
    my $one = $j->{SAD};
    my ($wins, $total) = race(16, sub {
        csc_call('v1', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $one, signAlgo => $ES256,
            hash => [b64(CSC::Test::random_digest('sha256'))]}, token => $frank);
    });
    ok t_cmp("$wins of $total", "1 of 16", "round $round: one single-signature SAD, 16 parallel signHash");
}

my $tot = fixture()->{credentials}{'erin-race'};
for my $round (1 .. 2) {
    # wait for a fresh step so that the whole race uses one value
    sleep(30 - (time % 30) + 0.2) if (time % 30) > 25;
    my $code = totp($tot->{secret}, time, 30, 6);
    my ($wins, $total) = race(8, sub {
        csc_call('v1', 'credentials/authorize', {credentialID => 'erin-race', numSignatures => 1, OTP => $code},
                 token => $erin, prefix => '/race/csc');
    });
    ok t_cmp("$wins of $total", "1 of 8", "round $round: one TOTP value, 8 parallel authorizations");
    sleep(30 - (time % 30) + 0.2) if $round == 1;
}

# the race really was spread over several children
my %pids;
if (open my $fh, '<', Apache::Test::vars('t_logs') . '/csc_access_log') {
    while (<$fh>) { $pids{$1} = 1 if /signatures\/signHash.*pid=(\d+)/ }
}
# prefork serves each connection in its own process; event may put them
# all on the threads of one
my $want = ($ENV{CSC_MPM} // '') eq 'prefork' ? 2 : 1;
ok t_op(scalar(keys %pids), '>=', $want, 'signHash requests were served by several processes');
