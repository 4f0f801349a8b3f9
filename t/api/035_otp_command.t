# SPDX-License-Identifier: Apache-2.0
# Online OTP delivered by a command (CSCOTPDelivery command:): it receives
# user and credential as arguments and the code on stdin; a failing
# gateway is a JSON 503 and no code is left usable.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use CSC::Test;

plan tests => 11;

my $erin = login('v1', 'erin', 'erin-secret');
my $log = Apache::Test::vars('serverroot') . '/fixtures/otp-command.log';
sub last_line {
    open my $fh, '<', $log or return '';
    my $last = '';
    $last = $_ while <$fh>;
    chomp $last;
    return $last;
}

my ($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'}, token => $erin,
                       prefix => '/cmd/csc');
ok t_cmp($r->code, 204, 'sendOTP through the command');
my ($user, $cred, $code) = split ' ', last_line();
ok t_cmp("$user $cred", 'erin erin-online', 'the command got user and credential as arguments');
ok t_cmp($code // '', qr/^\d{6}$/, 'and a 6-digit code on stdin');
CSC::Test::remember_secrets({OTP => $code});
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'erin-online', numSignatures => 1,
                                                    OTP => $code}, token => $erin, prefix => '/cmd/csc');
ok t_cmp($r->code, 200, 'the delivered code authorizes');

($r, $j) = csc_call('v1', 'info', {}, prefix => '/cmd/csc');
ok t_member($j->{methods}, 'credentials/sendOTP', 'sendOTP is offered where a delivery is configured');
($r, $j) = csc_call('v1', 'info', {}, prefix => '/ext/csc', authorization => 'Basic ' .
                    MIME::Base64::encode_base64('alice:alice-secret', ''));
ok t_not_member($j->{methods}, 'credentials/sendOTP', 'and not where none is');

($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'}, token => $erin,
                    prefix => '/cmdfail/csc');
ok t_cmp(error_is($r, $j), '503|temporarily_unavailable|The service is temporarily unavailable',
         'a failing gateway: JSON 503');
my $err = do { open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log'; local $/; <$fh> };
ok t_cmp($err, qr/CSCOTPDelivery command .*otp-fail failed \(exit 3\)/, 'the error log names the command and its exit');

# a gateway that hangs is killed after 10 s and the request answers 503
my $t0 = time;
($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'}, token => $erin,
                    prefix => '/cmdhang/csc');
my $took = time - $t0;
ok t_cmp(error_is($r, $j), '503|temporarily_unavailable|The service is temporarily unavailable',
         'a hung gateway: JSON 503');
ok t_true($took >= 9 && $took < 30, 'after the delivery timeout of 10 s', "${took} s");
my $hang = Apache::Test::vars('serverroot') . '/bin/otp-hang';
my @left = grep { index($_, $hang) >= 0 } `ps -eo args`;
ok t_cmp(scalar(@left), 0, 'and the hung command is gone');
