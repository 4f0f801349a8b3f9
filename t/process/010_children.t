# SPDX-License-Identifier: Apache-2.0
# State shared by children: a token revoked through one child is refused
# by another child, and a graceful restart keeps tokens and SADs.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep);
use lib 't/lib';
use CSC::Test;

plan tests => 14;

my $hostport = Apache::TestRequest::hostport();

# A raw keep-alive connection: under prefork each open connection is held
# by its own child, so two connections are two processes.
sub conn { IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 10) or die "connect: $!" }
sub post {
    my ($sock, $path, $body, $token) = @_;
    print $sock "POST $path HTTP/1.1\r\nHost: $hostport\r\nContent-Type: application/json\r\n"
        . "Authorization: Bearer $token\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
    my $head = '';
    while (my $line = <$sock>) { $head .= $line; last if $line eq "\r\n" }
    my ($code) = $head =~ m{^HTTP/1\.1 (\d+)};
    my ($len) = $head =~ /Content-Length: (\d+)/i;
    my $content = '';
    read($sock, $content, $len) if $len;
    return ($code, $content);
}

my $token = login('v1', 'bob', 'bob-secret');
my $c1 = conn();
my $c2 = conn();
my ($code) = post($c1, '/csc/v1/credentials/list', '{}', $token);
ok t_cmp($code, 200, 'connection 1 uses the token');
($code) = post($c2, '/csc/v1/credentials/list', '{}', $token);
ok t_cmp($code, 200, 'connection 2 uses the token');
my $body = CSC::Test::JSON()->encode({token => $token});
($code) = post($c2, '/csc/v1/auth/revoke', $body, $token);
ok t_cmp($code, 204, 'revoked through connection 2');
my $content;
($code, $content) = post($c1, '/csc/v1/credentials/list', '{}', $token);
ok t_cmp($code, 401, 'connection 1 (another child under prefork) refuses it at once');
ok t_cmp($content, qr/invalid_token/, 'with invalid_token');
close $c1;
close $c2;

# --- graceful restart keeps the shared state and the durable blocks
my $frank = login('v1', 'frank', 'frank-secret');
my $erin = login('v1', 'erin', 'erin-secret');
for my $i (1 .. 5) {
    csc_call('v1', 'credentials/authorize', {credentialID => 'erin-lock2', numSignatures => 1, PIN => "bad$i"},
             token => $erin);
}
my ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-p256', numSignatures => 2}, token => $frank);
my $sad = $j->{SAD};
my $pidfile = Apache::Test::vars('t_pid_file');
open my $fh, '<', $pidfile or die "$pidfile: $!";
my $pid = <$fh>;
chomp $pid;
my $errlog = Apache::Test::vars('t_logs') . '/error_log';

# Sends a signal to the master and waits until the new generation runs.
# nginx has one restart that keeps the master, the reload (HUP): its old
# workers finish their requests, new ones start.
my $nginx = ($ENV{CSC_SERVER} // '') eq 'nginx';
sub restart {
    my ($signal) = @_;
    my $before = -s $errlog;
    kill $nginx ? 'HUP' : $signal, $pid;
    my $done = $nginx ? qr/start worker process/ : qr/resuming normal operations/;
    for (1 .. 100) {
        sleep 0.1;
        open my $el, '<', $errlog or next;
        seek $el, $before, 0;
        local $/;
        return 1 if (<$el> // '') =~ $done;
    }
    return 0;
}

ok t_cmp(restart('USR1'), 1, 'graceful restart done');
sleep 0.5;
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $frank);
ok t_cmp($r->code, 200, 'the token survives the graceful restart');
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $sad,
    signAlgo => '1.2.840.10045.4.3.2', hash => [encode_base64(CSC::Test::random_digest('sha256'), '')]},
    token => $frank);
ok t_cmp($r->code, 200, 'the SAD survives it and signs (the HSM is reopened by the new children)');
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $sad,
    signAlgo => '1.2.840.10045.4.3.2', hash => [encode_base64(CSC::Test::random_digest('sha256'), '')]},
    token => $frank);
ok t_cmp($r->code, 200, 'with its budget intact: second signature');
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $sad,
    signAlgo => '1.2.840.10045.4.3.2', hash => [encode_base64(CSC::Test::random_digest('sha256'), '')]},
    token => $frank);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', 'and no more');
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'erin-lock2', numSignatures => 1,
    PIN => fixture()->{credentials}{'erin-lock2'}{pin}}, token => $erin);
ok t_cmp(error_is($r, $j), '400|invalid_request|PIN locked', 'a credential blocked before the restart is still blocked');

# --- a plain restart (SIGHUP: all children replaced at once)
ok t_cmp(restart('HUP'), 1, 'restart done');
sleep 0.5;
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'erin-lock2', numSignatures => 1,
    PIN => fixture()->{credentials}{'erin-lock2'}{pin}}, token => $erin);
ok t_cmp(error_is($r, $j), '400|invalid_request|PIN locked', 'still blocked after the restart');
CSC::Test::admin('unblock', 'erin-lock2');
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'erin-lock2', numSignatures => 1,
    PIN => fixture()->{credentials}{'erin-lock2'}{pin}}, token => $erin);
ok t_cmp($r->code, 200, 'until an admin unblocks it');
