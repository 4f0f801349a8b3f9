# SPDX-License-Identifier: Apache-2.0
# Two signing hosts on one PostgreSQL (stores and shared state), behind a
# third httpd with mod_proxy_balancer, round robin: a login, a SAD budget,
# an OTP, a lockout and a revocation hold across hosts; one host killed
# with SIGKILL leaves the other serving; PostgreSQL restarted under load
# gives clean 503s while it is down, grants nothing wrongly, and the hosts
# serve again without a restart.  Runs in the pgsql run only (t/SKIP).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest ();
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time sleep);
use POSIX ();
use lib 't/lib';
use CSC::Test;
use CSC::OTP qw(totp);

my $fx = fixture();
my $state = $fx->{state_store};
die "t/multihost needs the pgsql run (no state_store in fixture.json)\n" unless $state;

plan tests => 25;

my $root = Apache::Test::vars('serverroot');
my $httpd = Apache::Test::vars('httpd');
my $apxs = Apache::Test::vars('apxs');
chomp(my $moddir = `'$apxs' -q LIBEXECDIR`);
my %port = (b => 8542, c => 8543, lb => 8544);
my %mpm = (b => 'prefork', c => 'event', lb => 'event');
my $ES256 = '1.2.840.10045.4.3.2';
sub b64 { encode_base64($_[0], '') }
sub url { my ($h) = @_; "http://127.0.0.1:$port{$h}/csc" }

sub write_conf {
    my ($h) = @_;
    my $dir = "$root/logs/multihost-$h";
    mkdir $dir;
    my $common = <<CONF;
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port{$h}
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LogLevel warn
DefaultRuntimeDir "$dir"
Mutex file:$dir default
LogFormat "%h \\"%r\\" %>s pid=%P" mh
CustomLog "$dir/access_log" mh
LoadModule mpm_$mpm{$h}_module $moddir/mod_mpm_$mpm{$h}.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule headers_module $moddir/mod_headers.so
CONF
    my $body;
    if ($h eq 'lb') {
        $body = <<CONF;
LoadModule proxy_module $moddir/mod_proxy.so
LoadModule proxy_http_module $moddir/mod_proxy_http.so
LoadModule proxy_balancer_module $moddir/mod_proxy_balancer.so
LoadModule lbmethod_byrequests_module $moddir/mod_lbmethod_byrequests.so
LoadModule slotmem_shm_module $moddir/mod_slotmem_shm.so
<Proxy balancer://csc>
    BalancerMember http://127.0.0.1:$port{b} retry=30
    BalancerMember http://127.0.0.1:$port{c} retry=30
    ProxySet lbmethod=byrequests
</Proxy>
ProxyPass /csc balancer://csc/csc
CONF
    }
    else {
        $body = <<CONF;
LoadModule authn_core_module $moddir/mod_authn_core.so
LoadModule authn_file_module $moddir/mod_authn_file.so
LoadModule auth_basic_module $moddir/mod_auth_basic.so
LoadModule csc_module "$root/../mod_csc/.libs/mod_csc.so"
LogLevel warn csc:info
Header always set X-CSC-Host "$h"
CSCStateStore "$state"
CSCPKCS11Module /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so
CSCPKCS11PIN "file:$root/fixtures/token.pin"
<IfModule mpm_prefork_module>
    StartServers 3
</IfModule>
<Location /csc>
    SetHandler csc-api
    CSCCredentialStore "$fx->{main_store}"
    CSCAuthType basic
    CSCAuthnProvider file
    AuthUserFile "$root/fixtures/htpasswd"
</Location>
CONF
    }
    open my $fh, '>', "$dir/httpd.conf" or die "$dir: $!";
    print $fh $common, $body;
    close $fh;
    return "$dir/httpd.conf";
}

my %conf = map { $_ => write_conf($_) } qw(b c lb);
require LWP::UserAgent;
my $ua = LWP::UserAgent->new(timeout => 15, keep_alive => 0);

sub call {    # host, method, body, %opt (token, authorization): ($r, $j)
    my ($h, $method, $body, %opt) = @_;
    my @hd = ('Content-Type' => 'application/json');
    push @hd, Authorization => "Bearer $opt{token}" if $opt{token};
    push @hd, Authorization => $opt{authorization} if $opt{authorization};
    my $r = $ua->post(url($h) . "/v1/$method", @hd, Content => CSC::Test::JSON->encode($body));
    my $j = CSC::Test::json($r);
    CSC::Test::remember_secrets($body, $j);
    return ($r, $j);
}
sub basic { 'Basic ' . encode_base64("$_[0]:$_[1]", '') }
sub host_login {
    my ($h, $user, $pw) = @_;
    my ($r, $j) = call($h, 'auth/login', {}, authorization => basic($user, $pw));
    return $j ? $j->{access_token} : undef;
}

sub start_host {
    my ($h) = @_;
    system($httpd, '-f', $conf{$h}, '-k', 'start') == 0 or return 0;
    for (1 .. 100) {
        my $rp = $ua->post("http://127.0.0.1:$port{$h}/csc/v1/info", 'Content-Type' => 'application/json',
                           Content => '{}');
        return 1 if $rp->code == 200;
        sleep 0.1;
    }
    return 0;
}
sub stop_host {
    my ($h) = @_;
    system($httpd, '-f', $conf{$h}, '-k', 'stop');
}
END { stop_host($_) for qw(lb c b) }

ok t_cmp(join(',', map { start_host($_) ? 'up' : 'down' } qw(b c lb)), 'up,up,up',
         'hosts b (prefork) and c (event) on one PostgreSQL, and the balancer');

# round robin really spreads the calls
my %seen;
for (1 .. 6) {
    my ($r) = call('lb', 'info', {});
    $seen{$r->header('X-CSC-Host') // '?'}++;
}
ok t_cmp(join(',', map { "$_=" . ($seen{$_} // 0) } qw(b c)), 'b=3,c=3', 'the balancer alternates');

# a login on b is known on c
my $tok = host_login('b', 'frank', 'frank-secret');
my ($r, $j) = call('c', 'credentials/list', {}, token => $tok);
ok t_true($r->code == 200 && grep({ $_ eq 'frank-p256' } @{$j->{credentialIDs} || []}),
          "a token from b lists frank's credentials on c", $r->content);

# a SAD for 5 signatures, 16 concurrent signHash spread over both hosts
($r, $j) = call('b', 'credentials/authorize', {credentialID => 'frank-p256', numSignatures => 5}, token => $tok);
my $sad = $j->{SAD};
ok t_cmp($r->code, 200, 'a SAD for 5 on b');
sub fan_out {    # n, sub returning ($r): "code host" per answer
    my ($n, $make) = @_;
    my $start = time + 0.5;
    pipe(my $rd, my $wr) or die;
    my @pids;
    for my $i (1 .. $n) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            close $rd;
            $ua = LWP::UserAgent->new(timeout => 15, keep_alive => 0);
            sleep($start - time) if $start > time;
            my ($rr) = $make->($i);
            syswrite $wr, $rr->code . ' ' . ($rr->header('X-CSC-Host') // '?') . "\n";
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    close $wr;
    my @out = map { chomp; $_ } <$rd>;
    waitpid $_, 0 for @pids;
    return @out;
}
my @a = fan_out(16, sub {
    call('lb', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $sad, signAlgo => $ES256,
         hash => [b64(CSC::Test::random_digest('sha256'))]}, token => $tok);
});
my $signed = grep { /^200 / } @a;
my $refused = grep { /^400 / } @a;
my %answered = map { /^\d+ (\w+)/ ? ($1 => 1) : () } @a;
ok t_cmp("$signed signed, $refused refused", '5 signed, 11 refused',
         '16 concurrent signatures of a SAD for 5 over two hosts: exactly 5');
# Which host wins a race is timing (a prefork child's first signature
# loads the key), so the race shows both hosts took part, and the budget
# is shown shared in a fixed order.
ok t_cmp(join(',', sort keys %answered), 'b,c', 'both hosts answered the race');
{
    my ($ra, $ja) = call('b', 'credentials/authorize', {credentialID => 'frank-p256', numSignatures => 2},
                         token => $tok);
    my @codes = map {
        my ($rs) = call($_, 'signatures/signHash', {credentialID => 'frank-p256', SAD => $ja->{SAD},
                        signAlgo => $ES256, hash => [b64(CSC::Test::random_digest('sha256'))]}, token => $tok);
        "$_ " . $rs->code;
    } qw(b c c b);
    ok t_cmp(join(',', $ra->code, @codes), '200,b 200,c 200,c 400,b 400',
             'a SAD for 2 spent once on b and once on c is spent on both');
}

# an OTP accepted once across hosts
CSC::Test::admin('create', '--id', 'mh-totp', '--owner', 'frank', '--generate', 'ec:P-256',
                 '--pkcs11-module', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
                 '--token-label', 'csc-test', '--subject', 'CN=Multi Host,C=BE',
                 '--ca-key', "$root/fixtures/ca.key", '--ca-cert', $fx->{ca}, '--days', '30');
my $uri = CSC::Test::admin('set-otp', '--id', 'mh-totp', '--no-qr', '--type', 'totp');
my ($secret) = $uri =~ /[?&]secret=([A-Z2-7]+)/;
sleep(30 - (time % 30) + 0.2) if (time % 30) > 25;
my $code = totp($secret, time, 30, 6);
($r, $j) = call('b', 'credentials/authorize', {credentialID => 'mh-totp', numSignatures => 1, OTP => $code}, token => $tok);
ok t_cmp($r->code, 200, 'a TOTP accepted on b');
($r, $j) = call('c', 'credentials/authorize', {credentialID => 'mh-totp', numSignatures => 1, OTP => $code}, token => $tok);
ok t_cmp(error_is($r, $j), '400|invalid_otp|The OTP is invalid', 'the same TOTP on c: a replay');

# lockout across hosts: five wrong PINs, alternating
CSC::Test::admin('create', '--id', 'mh-lock', '--owner', 'frank', '--generate', 'ec:P-256',
                 '--pkcs11-module', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
                 '--token-label', 'csc-test', '--subject', 'CN=Multi Host,C=BE',
                 '--ca-key', "$root/fixtures/ca.key", '--ca-cert', $fx->{ca}, '--days', '30');
{
    open my $pin, '|-', $fx->{admin}, '--store', $fx->{main_store}, 'set-pin', '--id', 'mh-lock', '--pin-stdin'
        or die;
    print $pin "808182\n";
    close $pin;
}
my @codes = map {
    (call($_ % 2 ? 'b' : 'c', 'credentials/authorize',
          {credentialID => 'mh-lock', numSignatures => 1, PIN => "99$_"}, token => $tok))[0]->code
} 1 .. 5;
ok t_cmp("@codes", '400 400 400 400 400', 'five wrong PINs on b and c');
($r, $j) = call('b', 'credentials/authorize', {credentialID => 'mh-lock', numSignatures => 1, PIN => '808182'},
                token => $tok);
ok t_cmp(error_is($r, $j), '400|invalid_request|PIN locked', 'the right PIN then meets the lock on b');

# revocation on c is seen by b
my $short = host_login('b', 'frank', 'frank-secret');
($r) = call('c', 'auth/revoke', {token => $short}, token => $short);
ok t_cmp($r->code, 204, 'a login from b revoked on c');
($r, $j) = call('b', 'credentials/list', {}, token => $short);
ok t_cmp(error_is($r, $j), '401|invalid_token|The access token is not valid', 'b refuses it at once');

# SIGKILL of host c: b serves everything through the balancer
system('pkill', '-KILL', '-f', $conf{c});
sleep 0.5;
sub cmdline { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; return <$fh> // '' }
my $c_alive = grep { index(cmdline($_), $conf{c}) >= 0 } glob '/proc/[0-9]*/cmdline';
my $c_answers = $ua->post(url('c') . '/v1/info', 'Content-Type' => 'application/json', Content => '{}')->code;
ok t_cmp("alive=$c_alive answers=$c_answers", 'alive=0 answers=500',
         'host c is gone (SIGKILL): no process, no answer');
my @after = map { my ($rr) = call('lb', 'credentials/list', {}, token => $tok); $rr->code . ' ' . ($rr->header('X-CSC-Host') // '?') } 1 .. 8;
ok t_cmp(join(',', @after), join(',', ('200 b') x 8), 'the balancer sends all 8 calls to b, all served');
($r, $j) = call('b', 'credentials/authorize', {credentialID => 'frank-p256', numSignatures => 2}, token => $tok);
my $sad2 = $j->{SAD};
($r) = call('lb', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $sad2, signAlgo => $ES256,
           hash => [b64(CSC::Test::random_digest('sha256'))]}, token => $tok);
ok t_cmp($r->code, 200, 'b still signs');

# PostgreSQL stopped for 2 s under load, then started again
my $spent;
{
    ($r, $j) = call('b', 'credentials/authorize', {credentialID => 'frank-p256', numSignatures => 1}, token => $tok);
    $spent = $j->{SAD};
    ($r) = call('b', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $spent, signAlgo => $ES256,
               hash => [b64(CSC::Test::random_digest('sha256'))]}, token => $tok);
    ok t_cmp($r->code, 200, 'a SAD for 1 is spent before the outage');
}
my $pgdir = "$root/pg";
pipe(my $rd, my $wr) or die;
my @load;
for my $w (1 .. 3) {
    my $pid = fork;
    die unless defined $pid;
    if (!$pid) {
        close $rd;
        $ua = LWP::UserAgent->new(timeout => 15, keep_alive => 0);
        my $until = time + 7;
        while (time < $until) {
            my ($rr, $jj) = call('b', 'credentials/list', {}, token => $tok);
            my $what = $rr->code == 200 ? '200'
                     : $rr->code . '|' . ($jj ? ($jj->{error} // '-') . '|' . ($jj->{error_description} // '-')
                                             : 'not-json');
            syswrite $wr, "$what\n";
            sleep 0.05;
        }
        POSIX::_exit(0);
    }
    push @load, $pid;
}
close $wr;
sleep 1.5;
my $stopped = system('sh', "$root/pg.sh", 'stop', $pgdir) == 0;
sleep 0.5;
my ($dr, $dj) = call('b', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $spent, signAlgo => $ES256,
                     hash => [b64(CSC::Test::random_digest('sha256'))]}, token => $tok);
my ($lr, $lj) = call('b', 'auth/login', {}, authorization => basic('frank', 'frank-secret'));
sleep 1.5;
my $started = system('sh', "$root/pg.sh", 'start', $pgdir, 8540) == 0;
my @during = map { chomp; $_ } <$rd>;
waitpid $_, 0 for @load;
ok t_true($stopped && $started, 'PostgreSQL stopped and started again', "stop $stopped start $started");
my %kinds;
$kinds{$_}++ for @during;
ok t_true(!grep({ $_ ne '200' && $_ ne '503|temporarily_unavailable|The service is temporarily unavailable' } keys %kinds),
          'under load, every answer was 200 or the JSON 503', join(', ', map { "$_ x$kinds{$_}" } sort keys %kinds));
ok t_op($kinds{'503|temporarily_unavailable|The service is temporarily unavailable'} // 0, '>', 0,
        'the outage was seen (some 503s)');
ok t_cmp(error_is($dr, $dj), '503|temporarily_unavailable|The service is temporarily unavailable',
         'the spent SAD during the outage: 503, not a signature');
ok t_cmp($lr->code, 503, 'no login is issued while the state is unreachable');
($r) = call('b', 'credentials/list', {}, token => $tok);
ok t_cmp($r->code, 200, 'b serves again without a restart');
($r, $j) = call('b', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $spent, signAlgo => $ES256,
                hash => [b64(CSC::Test::random_digest('sha256'))]}, token => $tok);
ok t_cmp($r->code, 400, 'and the SAD spent before the outage stays spent');
ok t_op(scalar(grep { /^200$/ } @during), '>', 0, 'calls before and after the outage were served');
