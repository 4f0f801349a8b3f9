# SPDX-License-Identifier: Apache-2.0
# extendTransaction hands over exactly what is left of a SAD: its budget,
# and for a SAD bound to hashes, the approved hashes not signed yet.  It
# never binds a SAD to other hashes or unbinds it, is refused on a blocked
# credential, leaves the old SAD as it was when it refuses, and yields one
# successor however many extensions race.  v1 and v2, SCAL 1 and SCAL 2.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use CSC::Test;

plan tests => 2 * 21 + 9;

my $frank = login('v1', 'frank', 'frank-secret');
my $ES256 = '1.2.840.10045.4.3.2';
my $SHA256 = '2.16.840.1.101.3.4.2.1';
my %pin = map { $_ => fixture()->{credentials}{$_}{pin} } qw(frank-ext1 frank-ext2);
sub b64 { encode_base64($_[0], '') }
my (undef, $info) = csc_call('v1', 'credentials/info', {credentialID => 'frank-ext2', certificates => 'single'},
                             token => $frank);
my $ext2_cert = $info->{cert}{certificates}[0];
sub hashes {
    my ($ver, @d) = @_;
    return () unless @d;
    return $ver eq 'v1' ? (hash => [map { b64($_) } @d])
                        : (hashes => [map { b64($_) } @d], hashAlgorithmOID => $SHA256);
}
sub authorize {
    my ($ver, $cred, $n, @d) = @_;
    my %factor = $ver eq 'v1' ? (PIN => $pin{$cred}) : (authData => [{id => 'PIN', value => $pin{$cred}}]);
    my ($r, $j) = csc_call($ver, 'credentials/authorize',
        {credentialID => $cred, numSignatures => $n, %factor, hashes($ver, @d)}, token => $frank);
    die "authorize $cred: " . error_is($r, $j) unless $r->code == 200;
    return $j->{SAD};
}
sub extend {
    my ($ver, $cred, $sad, @d) = @_;
    return csc_call($ver, 'credentials/extendTransaction',
        {credentialID => $cred, SAD => $sad, hashes($ver, @d)}, token => $frank);
}
sub sign {
    my ($ver, $cred, $sad, @d) = @_;
    return csc_call($ver, 'signatures/signHash',
        {credentialID => $cred, SAD => $sad, signAlgo => $ES256, hashes($ver, @d)}, token => $frank);
}

for my $ver (qw(v1 v2)) {
    my $not_bound = $ver eq 'v1' ? 'Hash is not authorized by the SAD.' : 'Hash is not authorized by the SAD';
    my @h = map { CSC::Test::random_digest('sha256') } 1 .. 4;
    my ($r, $j, $sad, $next);

    # SCAL 2: approved h0 and h1
    $sad = authorize($ver, 'frank-ext2', 2, @h[0, 1]);
    ($r, $j) = extend($ver, 'frank-ext2', $sad, $h[2]);
    ok t_cmp(error_is($r, $j), "400|invalid_request|$not_bound", "$ver SCAL 2: extension to a hash never approved is refused");
    ($r, $j) = extend($ver, 'frank-ext2', $sad, @h[0, 1, 2]);
    ok t_cmp(error_is($r, $j), '400|invalid_request|Numbers of signatures is too high',
             "$ver SCAL 2: more hashes than the budget is refused");
    ($r, $j) = sign($ver, 'frank-ext2', $sad, $h[0]);
    ok t_cmp($r->code, 200, "$ver SCAL 2: the refused extensions left the old SAD as it was");
    ($r, $j) = extend($ver, 'frank-ext2', $sad, $h[0]);
    ok t_cmp(error_is($r, $j), "400|invalid_request|$not_bound", "$ver SCAL 2: nor to a hash already signed");
    ($r, $j) = extend($ver, 'frank-ext2', $sad, $h[1]);
    ok t_cmp($r->code, 200, "$ver SCAL 2: extension for the approved hash that is left");
    $next = $j->{SAD};
    ($r, $j) = sign($ver, 'frank-ext2', $sad, $h[1]);
    ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', "$ver SCAL 2: the old SAD is superseded");
    ($r, $j) = sign($ver, 'frank-ext2', $next, $h[2]);
    ok t_cmp(error_is($r, $j), "400|invalid_request|$not_bound", "$ver SCAL 2: the successor is bound as the old one was");
    ($r, $j) = sign($ver, 'frank-ext2', $next, $h[1]);
    ok t_cmp($r->code, 200, "$ver SCAL 2: the successor signs the approved hash");
    ok t_true(CSC::Test::verify_signature(cert_b64 => $ext2_cert, digest => $h[1],
                  sig => MIME::Base64::decode_base64($j->{signatures}[0] // ''), md => 'sha256', mode => 'ecdsa'),
              "$ver SCAL 2: and the signature verifies", $j);
    ($r, $j) = extend($ver, 'frank-ext2', $next, $h[1]);
    ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', "$ver SCAL 2: nothing left to extend");

    # SCAL 1, bound by the client's choice: an extension without hashes
    # keeps the binding
    $sad = authorize($ver, 'frank-ext1', 2, @h[0, 1]);
    ($r, $j) = extend($ver, 'frank-ext1', $sad);
    ok t_cmp($r->code, 200, "$ver SCAL 1 bound: extension without hashes");
    $next = $j->{SAD};
    ($r, $j) = sign($ver, 'frank-ext1', $next, $h[2]);
    ok t_cmp(error_is($r, $j), "400|invalid_request|$not_bound", "$ver SCAL 1 bound: the successor is still bound");
    ($r, $j) = extend($ver, 'frank-ext1', $next, $h[3]);
    ok t_cmp(error_is($r, $j), "400|invalid_request|$not_bound", "$ver SCAL 1 bound: nor can it be bound to other hashes");
    ($r, $j) = sign($ver, 'frank-ext1', $next, @h[0, 1]);
    ok t_cmp($r->code . ' ' . scalar(@{$j->{signatures} // []}), '200 2', "$ver SCAL 1 bound: both approved hashes sign");

    # SCAL 1 without hashes: the budget carries over, exactly
    $sad = authorize($ver, 'frank-ext1', 3);
    ($r, $j) = sign($ver, 'frank-ext1', $sad, $h[0]);
    ok t_cmp($r->code, 200, "$ver SCAL 1: one of three signatures");
    ($r, $j) = extend($ver, 'frank-ext1', $sad, @h[1, 2, 3]);
    ok t_cmp(error_is($r, $j), '400|invalid_request|Numbers of signatures is too high',
             "$ver SCAL 1: announcing more than is left is refused");
    ($r, $j) = extend($ver, 'frank-ext1', $sad);
    ok t_cmp($r->code, 200, "$ver SCAL 1: extension after the refused one");
    $next = $j->{SAD};
    ($r, $j) = sign($ver, 'frank-ext1', $next, @h[1, 2, 3]);
    ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', "$ver SCAL 1: the successor has two left, not three");
    ($r, $j) = sign($ver, 'frank-ext1', $next, @h[1, 2]);
    ok t_cmp($r->code, 200, "$ver SCAL 1: the two that were left");
    ($r, $j) = sign($ver, 'frank-ext1', $next, $h[3]);
    ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', "$ver SCAL 1: and no more");
    ($r, $j) = sign($ver, 'frank-ext1', $sad, $h[3]);
    ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', "$ver SCAL 1: the old SAD signs nothing either");
}

# 16 extensions of one SAD race over several children: one successor
my $sad = authorize('v2', 'frank-ext1', 4);
my ($wins, $total, @answers) = race(16, sub { extend('v2', 'frank-ext1', $sad) });
ok t_cmp("$wins of $total", '1 of 16', '16 parallel extensions of one SAD: exactly one succeeds');
my ($winner) = map { /"SAD":"([^"]+)"/ ? $1 : () } grep { /^200 / } @answers;
my ($r, $j) = sign('v2', 'frank-ext1', $winner // '', map { CSC::Test::random_digest('sha256') } 1 .. 4);
ok t_cmp($r->code . ' ' . scalar(@{$j->{signatures} // []}), '200 4', 'the successor carries the whole budget of four');

# a blocked credential cannot be extended; the refusal keeps the SAD
$sad = authorize('v1', 'frank-ext1', 1);
for my $i (1 .. 10) {
    ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-ext1', numSignatures => 1,
        PIN => "00000$i"}, token => $frank);
    last if ($j->{error_description} // '') eq 'PIN locked';
}
($r, $j) = extend('v1', 'frank-ext1', $sad);
ok t_cmp(error_is($r, $j), '400|invalid_request|PIN locked', 'v1: a blocked credential cannot be extended');
($r, $j) = extend('v2', 'frank-ext1', $sad);
ok t_cmp(error_is($r, $j), '400|invalid_request|Credential locked', 'v2: nor here');
CSC::Test::admin('unblock', 'frank-ext1');
($r, $j) = extend('v1', 'frank-ext1', $sad);
ok t_cmp($r->code, 200, 'after unblock the same SAD extends: the refusals left it as it was');
($r, $j) = sign('v1', 'frank-ext1', $j->{SAD}, CSC::Test::random_digest('sha256'));
ok t_cmp($r->code, 200, 'and its successor signs');

# the SAD of one credential presented with another of the same user's, and
# with another user's token: refused, and the SAD is still whole after it
$sad = authorize('v1', 'frank-ext1', 1);
($r, $j) = extend('v1', 'frank-ext2', $sad, CSC::Test::random_digest('sha256'));
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', "another credential's SAD is refused");
my $bob = login('v1', 'bob', 'bob-secret');
($r, $j) = csc_call('v1', 'credentials/extendTransaction', {credentialID => 'frank-ext1', SAD => $sad}, token => $bob);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID', "another user cannot extend it");
($r, $j) = extend('v1', 'frank-ext1', $sad);
ok t_cmp($r->code, 200, 'the owner still can: the refusals left the SAD whole');
