# SPDX-License-Identifier: Apache-2.0
# credentials/authorize with PIN, TOTP, HOTP, PIN AND OTP and online OTP;
# lockout; exact errors; the SAD's bindings.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use CSC::Test;
use CSC::OTP qw(totp hotp);

plan tests => 61;

my $fx = fixture();
my $erin = login('v1', 'erin', 'erin-secret');
my $c = $fx->{credentials};

sub auth1 { csc_call('v1', 'credentials/authorize', {@_}, token => $erin) }
sub auth2 { csc_call('v2', 'credentials/authorize', {@_}, token => $erin) }

# --- static PIN, v1 and v2
my ($r, $j) = auth1(credentialID => 'erin-pin', numSignatures => 1, PIN => $c->{'erin-pin'}{pin});
ok t_cmp($r->code, 200, 'right PIN gives a SAD');
ok t_cmp(length($j->{SAD}) >= 40, 1, 'SAD is long');
ok t_cmp($j->{expiresIn}, 300, 'expiresIn is CSCSADLifetime');
($r, $j) = auth1(credentialID => 'erin-pin', numSignatures => 1, PIN => '000000');
ok t_cmp(error_is($r, $j), '400|invalid_pin|The PIN is invalid', 'wrong PIN (v1)');
($r, $j) = auth2(credentialID => 'erin-pin', numSignatures => 1, authData => [{id => 'PIN', value => '000000'}]);
ok t_cmp(error_is($r, $j), '400|invalid_authentication_data|The authentication data is invalid', 'wrong PIN (v2)');
($r, $j) = auth2(credentialID => 'erin-pin', numSignatures => 1, authData => [{id => 'PIN', value => $c->{'erin-pin'}{pin}}]);
ok t_cmp($r->code, 200, 'right PIN (v2)');
($r, $j) = auth1(credentialID => 'erin-pin', numSignatures => 1);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter PIN', 'PIN missing');
($r, $j) = auth2(credentialID => 'erin-pin', numSignatures => 1);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) array parameter authData', 'authData missing');

# --- parameter errors
($r, $j) = auth1(numSignatures => 1, PIN => 'x');
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter credentialID', 'no credentialID');
($r, $j) = auth1(credentialID => 'alice-rsa', numSignatures => 1, PIN => 'x');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID', "someone else's credential");
($r, $j) = auth1(credentialID => 'erin-pin', PIN => 'x');
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) integer parameter numSignatures', 'no numSignatures');
($r, $j) = auth1(credentialID => 'erin-pin', numSignatures => '1', PIN => 'x');
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) integer parameter numSignatures', 'numSignatures a string');
($r, $j) = auth1(credentialID => 'erin-pin', numSignatures => 0, PIN => 'x');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid value for parameter numSignatures', 'numSignatures 0');
($r, $j) = auth1(credentialID => 'erin-pin', numSignatures => 11, PIN => 'x');
ok t_cmp(error_is($r, $j), '400|invalid_request|Numbers of signatures is too high', 'above multisign');
($r, $j) = auth1(credentialID => 'erin-pin', numSignatures => 1, PIN => 'x', hash => ['***']);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid Base64 hash string parameter', 'bad base64 hash');
($r, $j) = auth2(credentialID => 'erin-pin', numSignatures => 1, authData => [{id => 'PIN', value => 'x'}],
                 hashes => ['47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=']);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter hashAlgorithmOID', 'v2 hashes without algorithm');
($r, $j) = auth2(credentialID => 'erin-pin', numSignatures => 1, authData => [{id => 'PIN', value => 'x'}],
                 hashes => ['AAAA'], hashAlgorithmOID => '2.16.840.1.101.3.4.2.1');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid digest value length', 'v2 digest length');
($r, $j) = auth2(credentialID => 'erin-pin', numSignatures => 1, authData => [{id => 'PIN', value => 'x'}],
                 hashes => ['47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='], hashAlgorithmOID => '1.3.14.3.2.26');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter hashAlgorithmOID', 'SHA-1 refused');
($r, $j) = auth1(credentialID => 'erin-disabled', numSignatures => 1, PIN => 'x');
ok t_cmp(error_is($r, $j), '400|invalid_request|The credential identified by credentialID is disabled', 'disabled credential');
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'erin-pin'}, authorization => 'Basic xyz');
ok t_cmp(error_is($r, $j), '400|invalid_request|The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.', 'v1 non-Bearer');

# --- TOTP
my $totp = $c->{'erin-totp'};
my $code = totp($totp->{secret}, time, 30, 6);
($r, $j) = auth1(credentialID => 'erin-totp', numSignatures => 1, OTP => $code);
ok t_cmp($r->code, 200, 'current TOTP accepted');
($r, $j) = auth1(credentialID => 'erin-totp', numSignatures => 1, OTP => $code);
ok t_cmp(error_is($r, $j), '400|invalid_otp|The OTP is invalid', 'the same TOTP is not accepted twice');
($r, $j) = auth1(credentialID => 'erin-totp', numSignatures => 1, OTP => totp($totp->{secret}, time - 300, 30, 6));
ok t_cmp(error_is($r, $j), '400|invalid_otp|The OTP is invalid', 'an old TOTP is refused');
($r, $j) = auth1(credentialID => 'erin-totp', numSignatures => 1, OTP => totp($totp->{secret}, time + 30, 30, 6));
ok t_cmp($r->code, 200, 'next step within the window accepted');
($r, $j) = auth1(credentialID => 'erin-totp', numSignatures => 1, OTP => $code);
ok t_cmp($r->code, 400, 'an earlier step after a later one is a replay');
($r, $j) = auth1(credentialID => 'erin-totp', numSignatures => 1, OTP => 'abcdef');
ok t_cmp(error_is($r, $j), '400|invalid_otp|The OTP is invalid', 'non-numeric OTP');
my $t256 = $c->{'erin-totp256'};
($r, $j) = auth2(credentialID => 'erin-totp256', numSignatures => 1,
                 authData => [{id => 'OTP', value => totp($t256->{secret}, time, 30, 8, 'sha256')}]);
ok t_cmp($r->code, 200, 'TOTP with SHA-256 and 8 digits (v2)');

# --- HOTP with resynchronisation
my $h = $c->{'erin-hotp'};
($r, $j) = auth1(credentialID => 'erin-hotp', numSignatures => 1, OTP => hotp($h->{secret}, 0, 6));
ok t_cmp($r->code, 200, 'HOTP counter 0');
($r, $j) = auth1(credentialID => 'erin-hotp', numSignatures => 1, OTP => hotp($h->{secret}, 0, 6));
ok t_cmp(error_is($r, $j), '400|invalid_otp|The OTP is invalid', 'HOTP counter 0 again: replay');
($r, $j) = auth1(credentialID => 'erin-hotp', numSignatures => 1, OTP => hotp($h->{secret}, 5, 6));
ok t_cmp($r->code, 200, 'HOTP counter 5: resynchronised within the look-ahead');
($r, $j) = auth1(credentialID => 'erin-hotp', numSignatures => 1, OTP => hotp($h->{secret}, 3, 6));
ok t_cmp($r->code, 400, 'HOTP counter 3 after 5 is refused');
($r, $j) = auth1(credentialID => 'erin-hotp', numSignatures => 1, OTP => hotp($h->{secret}, 40, 6));
ok t_cmp($r->code, 400, 'HOTP beyond the look-ahead is refused');
($r, $j) = auth1(credentialID => 'erin-hotp', numSignatures => 1, OTP => hotp($h->{secret}, 6, 6));
ok t_cmp($r->code, 200, 'HOTP counter 6 follows');

# --- PIN AND OTP
my $b = $c->{'erin-both'};
($r, $j) = csc_call('v2', 'credentials/info', {credentialID => 'erin-both', authInfo => JSON::PP::true}, token => $erin);
ok t_cmp($j->{auth}{expression}, 'PIN AND OTP', 'v2 auth expression');
ok t_cmp(join(',', map { "$_->{type}:$_->{id}" } @{$j->{auth}{objects}}), 'Password:PIN,Password:OTP', 'v2 auth objects');
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'erin-both', authInfo => JSON::PP::true}, token => $erin);
ok t_cmp("$j->{authMode} $j->{PIN}{presence} $j->{PIN}{format} $j->{OTP}{presence} $j->{OTP}{type}",
         'explicit true N true offline', 'v1 authMode, PIN and OTP objects');
($r, $j) = auth1(credentialID => 'erin-both', numSignatures => 1, PIN => $b->{pin});
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter OTP', 'OTP missing');
($r, $j) = auth1(credentialID => 'erin-both', numSignatures => 1, PIN => 'nope',
                 OTP => totp($b->{secret}, time, 30, 6));
ok t_cmp(error_is($r, $j), '400|invalid_pin|The PIN is invalid', 'right OTP, wrong PIN');
($r, $j) = auth1(credentialID => 'erin-both', numSignatures => 1, PIN => $b->{pin}, OTP => '000000');
ok t_cmp(error_is($r, $j), '400|invalid_otp|The OTP is invalid', 'right PIN, wrong OTP');
($r, $j) = auth1(credentialID => 'erin-both', numSignatures => 1, PIN => $b->{pin},
                 OTP => totp($b->{secret}, time, 30, 6));
ok t_cmp($r->code, 200, 'PIN AND OTP: both right (the OTP was not burnt by the wrong PIN)');

# --- online OTP through CSCOTPDelivery file:
my $o = $c->{'erin-online'};
($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'}, token => $erin);
ok t_cmp($r->code, 204, 'sendOTP 204');
ok t_cmp($r->content, '', 'the OTP is not in the response');
my $sent = CSC::OTP::last_sent('erin-online');
ok t_cmp($sent, qr/^\d{6}$/, 'the delivery received a 6-digit code');
($r, $j) = auth1(credentialID => 'erin-online', numSignatures => 1, OTP => $sent);
ok t_cmp($r->code, 200, 'the delivered code authorizes');
($r, $j) = auth1(credentialID => 'erin-online', numSignatures => 1, OTP => $sent);
ok t_cmp(error_is($r, $j), '400|invalid_otp|The OTP is invalid', 'once only');
# a delivered code belongs to its credential and its user.  The wrong
# tries go to erin-online2, which no other check uses: failures are
# counted on /race/csc too, only never blocked there.
($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'}, token => $erin);
$sent = CSC::OTP::last_sent('erin-online');
($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online2'}, token => $erin);
my $sent2 = CSC::OTP::last_sent('erin-online2');
ok t_true($sent ne $sent2, 'two credentials, two codes', "$sent $sent2");
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'erin-online2', numSignatures => 1,
                    OTP => $sent}, token => $erin, prefix => '/race/csc');
ok t_cmp(error_is($r, $j), '400|invalid_otp|The OTP is invalid', "another credential's code is refused");
my $gina = login('v1', 'gina', 'gina-secret');
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'erin-online', numSignatures => 1,
                    OTP => $sent}, token => $gina, prefix => '/race/csc');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID',
         "another user cannot use the code of erin's credential");
($r, $j) = auth1(credentialID => 'erin-online', numSignatures => 1, OTP => $sent);
ok t_cmp($r->code, 200, 'neither spent it: it still authorizes its own credential');
# single use under a race: 16 authorizations with one right code, over
# several children
my ($wins, $total, @answers) = race(16, sub {
    csc_call('v1', 'credentials/authorize', {credentialID => 'erin-online2', numSignatures => 1, OTP => $sent2},
             token => $erin, prefix => '/race/csc');
});
ok t_cmp("$wins of $total", '1 of 16', 'one delivered code, 16 parallel authorizations: one SAD');
ok t_true(!grep({ !/^200 / && !/"error":"invalid_otp"/ } @answers),
          'every other answer is invalid_otp', join("\n", @answers));
($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-pin'}, token => $erin);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID', 'sendOTP for an offline credential');
($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'}, authorization => 'Basic x');
ok t_cmp(error_is($r, $j), '400|invalid_request|Malformed authroization header.', 'sendOTP header error, as the spec spells it');
($r, $j) = csc_call('v2', 'credentials/getChallenge', {credentialID => 'erin-online', authObjectID => 'OTP'}, token => $erin);
ok t_cmp($r->code, 204, 'v2 getChallenge sends the OTP out of band');
$sent = CSC::OTP::last_sent('erin-online');
($r, $j) = auth2(credentialID => 'erin-online', numSignatures => 1, authData => [{id => 'OTP', value => $sent}]);
ok t_cmp($r->code, 200, 'v2 authorize with the challenge response');

# --- lockout after CSCMaxAuthFailures (5) wrong PINs, admin unblock
my $l = $c->{'erin-lock'};
for my $i (1 .. 5) {
    ($r, $j) = auth1(credentialID => 'erin-lock', numSignatures => 1, PIN => "bad$i");
}
ok t_cmp(error_is($r, $j), '400|invalid_pin|The PIN is invalid', 'the fifth wrong PIN is still "invalid"');
($r, $j) = auth1(credentialID => 'erin-lock', numSignatures => 1, PIN => $l->{pin});
ok t_cmp(error_is($r, $j), '400|invalid_request|PIN locked', 'then the right PIN meets a lock (v1)');
($r, $j) = auth2(credentialID => 'erin-lock', numSignatures => 1, authData => [{id => 'PIN', value => $l->{pin}}]);
ok t_cmp(error_is($r, $j), '400|invalid_request|Credential locked', 'v2 says Credential locked');
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'erin-lock'}, token => $erin);
ok t_cmp($j->{key}{status}, 'disabled', 'info shows the blocked key as disabled');
my $out = CSC::Test::admin('unblock', 'erin-lock');
($r, $j) = auth1(credentialID => 'erin-lock', numSignatures => 1, PIN => $l->{pin});
ok t_cmp($r->code, 200, 'after csc-admin unblock the right PIN works, without a restart');

# a success resets the counter: 4 failures, 1 success, 4 failures do not block
for my $i (1 .. 4) { auth1(credentialID => 'erin-lock', numSignatures => 1, PIN => 'bad') }
auth1(credentialID => 'erin-lock', numSignatures => 1, PIN => $l->{pin});
for my $i (1 .. 4) { auth1(credentialID => 'erin-lock', numSignatures => 1, PIN => 'bad') }
($r, $j) = auth1(credentialID => 'erin-lock', numSignatures => 1, PIN => $l->{pin});
ok t_cmp($r->code, 200, 'failures are counted consecutively');
