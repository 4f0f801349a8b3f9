# SPDX-License-Identifier: Apache-2.0
# The HSM goes away mid-run: signHash answers a JSON 503, the children
# stay up, the error log says what is wrong, and signing resumes when the
# HSM comes back, without a restart.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use CSC::Test;

plan tests => 9;

my $frank = login('v1', 'frank', 'frank-secret');
sub sign_once {
    my ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-rsa2048', numSignatures => 1},
                           token => $frank);
    my $sad = $j->{SAD};
    ($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-rsa2048', SAD => $sad,
        signAlgo => '1.2.840.113549.1.1.11', hash => [encode_base64(CSC::Test::random_digest('sha256'), '')]},
        token => $frank);
    return ($r, $j, $sad);
}

my ($r, $j) = sign_once();
ok t_cmp($r->code, 200, 'signing works before the outage');

my $tokens = Apache::Test::vars('serverroot') . '/fixtures/tokens';
my $errlog = Apache::Test::vars('t_logs') . '/error_log';
my $before = -s $errlog;
rename $tokens, "$tokens.away" or die "rename: $!";
my $sad;
my @codes;
for (1 .. 4) {
    ($r, $j, $sad) = sign_once();
    push @codes, error_is($r, $j);
}
rename "$tokens.away", $tokens or die "rename back: $!";
ok t_cmp($codes[-1], '503|temporarily_unavailable|The service is temporarily unavailable',
         'signHash during the outage: JSON 503');
ok t_cmp(scalar(grep { /^503/ } @codes), 4, 'every attempt during the outage answered 503 (' . join(' ', map { substr($_, 0, 3) } @codes) . ')');
($r, $j) = csc_call('v1', 'info', {});
ok t_cmp($r->code, 200, 'the server still answers');
open my $el, '<', $errlog or die;
seek $el, $before, 0;
my $new = do { local $/; <$el> };
# httpd tags the module ([csc:error]), nginx only the level ([error])
my $tag = ($ENV{CSC_SERVER} // '') eq 'nginx' ? qr/\[error\]/ : qr/\[csc:error\]/;
ok t_cmp($new, qr/$tag.*frank-rsa2048/, 'the error log names the failing credential');
ok t_unlike($new, qr/Segmentation|exit signal|exited on signal/, 'no child crashed');

# the SAD of a failed signHash was given back
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-rsa2048', SAD => $sad,
    signAlgo => '1.2.840.113549.1.1.11', hash => [encode_base64(CSC::Test::random_digest('sha256'), '')]},
    token => $frank);
ok t_cmp($r->code, 200, 'after the HSM is back, the same SAD signs (its budget was refunded)');
my $ok = 0;
for (1 .. 5) { ($r) = sign_once(); $ok++ if $r->code == 200 }
ok t_cmp($ok, 5, 'signing has resumed in every child');
ok t_unlike($new, qr/\Q@{[fixture()->{token_pin}]}\E|pin-value/, 'no token PIN in the outage messages');
