# SPDX-License-Identifier: Apache-2.0
# What only nginx can get wrong: bodies in temporary files and slow
# clients, the event loop kept free while threads block, reloads under
# load, `nginx -t` beside a live server, htpasswd schemes, nginx's own
# errors in the CSC shape, and which requests run on the event loop
# (csc_thread_pool NAME [slow]).  Run by t/nginx/run.sh only.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep time);
use POSIX ();
use Digest::SHA ();
use lib 't/lib';
use CSC::Test;

plan tests => 47;

my $logs = Apache::Test::vars('t_logs');
my $root = Apache::Test::vars('serverroot');
my $errlog = "$logs/error_log";
my $hostport = Apache::TestRequest::hostport();
sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; return <$fh> }
sub master { chomp(my $p = slurp("$logs/httpd.pid")); return $p }
sub digest { encode_base64(CSC::Test::random_digest('sha256'), '') }

my $frank = login('v1', 'frank', 'frank-secret');
sub sad_for {
    my ($n, $cred) = @_;
    my ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => $cred // 'frank-p256',
                                                           numSignatures => $n}, token => $frank);
    return $j->{SAD};
}
sub sign {
    my ($sad, %o) = @_;
    my ($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $sad,
        signAlgo => '1.2.840.10045.4.3.2', hash => $o{hash} // [digest()]}, token => $frank,
        prefix => $o{prefix} // '/csc');
    return ($r, $j);
}

# --- a body nginx buffers to a temporary file (client_body_buffer_size 1k)
my @hashes = map { digest() } 1 .. 30;
my $before = -s $errlog;
my ($r, $j) = sign(sad_for(30), hash => \@hashes, prefix => '/bigbuf/csc');
ok t_cmp($r->code, 200, 'a 30-hash signHash whose body went to a temporary file');
ok t_cmp(scalar @{$j->{signatures} // []}, 30, 'thirty signatures');
ok t_true(substr(slurp($errlog), $before) =~ /a client request body is buffered to a temporary file/,
          'nginx did buffer that body to a file', 'no such log line');
($r, $j) = csc_call('v1', 'info', {pad => 'x' x 5000}, prefix => '/bigbuf/csc');
ok t_cmp($r->code . ' ' . ($j->{specs} // '-'), '200 1.0.4.0', 'info with a 5 KB body from a file');

# --- bodies past the limits, declared and chunked: the core's JSON 413
my $too_large = '413|invalid_request|The request body is too large';
my $big = '{"pad":"' . ('x' x 300_000) . '"}';
($r, $j) = csc_call('v1', 'info', $big);
ok t_cmp(error_is($r, $j), $too_large, 'a declared body past csc_max_request_body');
sub raw {
    my ($req) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 20) or die "connect: $!";
    print $s $req;
    local $/;
    my $resp = <$s> // '';
    my ($code) = $resp =~ m{^HTTP/1\.1 (\d+)};
    my ($body) = $resp =~ /\r\n\r\n(.*)$/s;
    return ($code // 0, eval { CSC::Test::JSON()->decode($body // '') }, $resp);
}
sub chunked {
    my ($body) = @_;
    my $out = '';
    $out .= sprintf("%x\r\n%s\r\n", length $_, $_) for unpack '(a8192)*', $body;
    return $out . "0\r\n\r\n";
}
my ($code, $rj, $resp) = raw("POST /csc/v1/info HTTP/1.1\r\nHost: $hostport\r\nConnection: close\r\n"
    . "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" . chunked($big));
ok t_cmp(join('|', $code, $rj->{error} // '-', $rj->{error_description} // '-'), $too_large,
         'a chunked body past csc_max_request_body');
($code, $rj, $resp) = raw("POST /csc/v1/info HTTP/1.1\r\nHost: $hostport\r\nConnection: close\r\n"
    . "Content-Type: application/json\r\nContent-Length: 9000000\r\n\r\n{}");
ok t_cmp(join('|', $code, $rj->{error} // '-', $rj->{error_description} // '-'), $too_large,
         "a body past nginx's client_max_body_size: the same JSON");
($code, $rj, $resp) = raw("POST /csc/v1/info HTTP/1.1\r\nHost: $hostport\r\nConnection: close\r\n"
    . "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
ok t_cmp($code . ' ' . ($rj->{error} // 'not-json'), '400 invalid_request', 'a malformed chunk: JSON 400');

# --- nginx's own refusals inside an API location come as CSC JSON
($r, $j) = csc_call('v1', 'info', {}, prefix => '/ext/csc');
ok t_cmp(error_is($r, $j), '401|access_denied|Access denied', 'auth_basic refusing the caller: JSON 401');
ok t_cmp($r->header('WWW-Authenticate') // '', 'Basic realm="csc-external"', 'with its challenge');
($r, $j) = csc_call('v2', 'info', {}, prefix => '/api-files/csc');
ok t_cmp(error_is($r, $j), '403|access_denied|Access denied', 'deny all: JSON 403');
ok t_cmp($r->header('Cache-Control') // '', 'no-store', 'not cached');

# --- htpasswd schemes beside bcrypt and apr1 (APR validates them all)
my $pwfile = "$root/fixtures/htpasswd-nginx";
my $sha512 = `openssl passwd -6 'sasha-secret'`;
chomp $sha512;
my $sha1 = '{SHA}' . encode_base64(Digest::SHA::sha1('tom-secret'), '');
open my $pw, '>>', $pwfile or die;
print $pw "sasha:$sha512\ntom:$sha1:a comment\n";
close $pw;
($r, $j) = csc_call('v1', 'auth/login', {}, authorization => 'Basic ' . encode_base64('sasha:sasha-secret', ''));
ok t_cmp($r->code, 200, 'SHA-512-crypt password, added while running');
($r, $j) = csc_call('v1', 'auth/login', {}, authorization => 'Basic ' . encode_base64('tom:tom-secret', ''));
ok t_cmp($r->code, 200, '{SHA} password with a comment field');
($r, $j) = csc_call('v1', 'auth/login', {}, authorization => 'Basic ' . encode_base64('sasha:wrong', ''));
my $wrong = error_is($r, $j);
($r, $j) = csc_call('v1', 'auth/login', {}, authorization => 'Basic ' . encode_base64('nobody-here:wrong', ''));
ok t_cmp(error_is($r, $j), $wrong, 'an unknown user gets the answer of a wrong password');
ok t_cmp($wrong, '400|authentication_error|An error occurred during authentication process',
         'which is the CSC authentication error');

sub later {          # later(CODE): runs CODE in a child; "code time" comes back
    my ($code) = @_;
    pipe(my $rd, my $wr) or die;
    my $pid = fork // die;
    if (!$pid) {
        close $rd;
        Apache::TestRequest::user_agent(reset => 1, keep_alive => 0);
        my $c = $code->();
        syswrite $wr, sprintf("%s %.3f\n", $c, time);
        POSIX::_exit(0);
    }
    close $wr;
    return [$pid, $rd];
}
sub collect { my ($k) = @_; my $line = readline($k->[1]) // '0 0'; waitpid $k->[0], 0; return [split ' ', $line] }
# --- the event loop stays free while threads block: two OTP deliveries
# hang for 10 s (the command is killed then), and info answers meanwhile
my $erin = login('v1', 'erin', 'erin-secret');
my @hangs = map {
    later(sub { (csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'}, token => $erin,
                          prefix => '/cmdhang/csc'))[0]->code })
} 1 .. 2;
sleep 1;
my @info;
for (1 .. 8) {
    Apache::TestRequest::user_agent(reset => 1, keep_alive => 0);
    my ($ir) = csc_call('v1', 'info', {});
    push @info, [$ir->code, time];
}
my @hung = map { collect($_) } @hangs;
ok t_cmp(join(',', map { $_->[0] } @info), join(',', (200) x 8), 'eight info calls on fresh connections');
my $first_hang_done = (sort { $a <=> $b } map { $_->[1] } @hung)[0] // 0;
ok t_op($info[-1][1], '<', $first_hang_done, 'all answered while both deliveries still hung');
ok t_cmp(join(',', map { $_->[0] } @hung), '503,503', 'the hung deliveries end in a JSON 503');

# --- sixteen signatures at once, spread over the workers' threads (in
# /bigbuf/csc: /csc signs on the event loop, csc_thread_pool csc slow)
my $sad16 = sad_for(16);
my ($wins, $n, @answers) = race(16, sub { my ($rr) = sign($sad16, prefix => '/bigbuf/csc'); $rr });
ok t_cmp("$wins/$n", '16/16', 'sixteen concurrent signatures of one SAD for 16');
($r, $j) = sign($sad16);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', 'and a seventeenth is refused');

# --- a reload under load (no keep-alive): no request lost, the budget holds
my $sad30 = sad_for(30);
pipe(my $rd, my $wr) or die;
my @kids;
for my $c (1 .. 4) {
    my $pid = fork // die;
    if (!$pid) {
        close $rd;
        for (1 .. 12) {
            Apache::TestRequest::user_agent(reset => 1, keep_alive => 0);
            my ($rr, $jj) = sign($sad30);
            syswrite $wr, ($rr->code == 200 ? 'ok'
                           : $jj ? ($jj->{error_description} // 'json') : 'lost ' . $rr->code) . "\n";
        }
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
close $wr;
my $log_before = -s $errlog;
sleep 0.2;
kill 'HUP', master();
sleep 0.5;
kill 'HUP', master();
my @results = map { chomp; $_ } <$rd>;
waitpid $_, 0 for @kids;
my %seen;
$seen{$_}++ for @results;
my $summary = join ', ', map { "$_: $seen{$_}" } sort keys %seen;
ok t_cmp(scalar @results, 48, "48 answers during two reloads ($summary)");
ok t_cmp($seen{ok} // 0, 30, 'exactly the 30 signatures the SAD grants');
ok t_cmp(($seen{ok} // 0) + ($seen{'Invalid parameter SAD'} // 0), 48, 'every other answer a refused SAD, none lost');
for (1 .. 100) { last if substr(slurp($errlog), $log_before) =~ /exited with code 0[\s\S]*exited with code 0/; sleep 0.1 }
my $during = substr(slurp($errlog), $log_before);
ok t_unlike($during, qr/open socket|\[alert\]|\[crit\]/, 'no request left behind by an exiting worker');
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $frank);
ok t_cmp($r->code, 200, 'a token from before the reloads still works');

# --- `nginx -t` beside the live server leaves the shared state alone
my $sad2 = sad_for(2);
($r) = sign($sad2);
ok t_cmp($r->code, 200, 'first of two signatures');
my $conf = "$logs/nginx.conf";
my $out = `/usr/sbin/nginx -t -p '$root' -e '$logs/nginx-t.log' -c '$conf' 2>&1`;
ok t_cmp($?, 0, 'nginx -t passes') or print STDERR "# $out\n";
($r) = sign($sad2);
ok t_cmp($r->code, 200, 'the second signature after nginx -t');
($r, $j) = sign($sad2);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', 'and no third');

# --- the log variables ($csc_method, $csc_user, $csc_credential, $csc_error)
my $access = slurp("$logs/csc_access_log");
ok t_true($access =~ m{"POST /csc/v1/signatures/signHash HTTP/1\.1" 200 pid=\d+ csc=signatures/signHash user=frank cred=frank-p256 err=-},
          'a signature logged with method, user and credential', substr($access, -400));
ok t_true($access =~ m{"POST /csc/v1/signatures/signHash HTTP/1\.1" 400 pid=\d+ csc=signatures/signHash user=frank cred=frank-p256 err=invalid_request},
          'a refusal logged with its error code', substr($access, -400));

# --- where requests run: a private nginx with one worker whose pool has
# one thread.  A hung OTP delivery holds that thread for 10 s.  What waits
# for nothing (info) is answered on the event loop meanwhile, and so,
# under "csc_thread_pool one slow", are signatures and credential lists;
# everything else waits for the thread, which shows that it was busy.
my $dir = "$logs/loop";
mkdir $dir;
my ($module) = slurp("$logs/nginx.conf") =~ /^load_module "([^"]+)";/m;
my $lport = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die $!;
    $s->sockport;
};
sub loop_conf {
    my ($fast_pool) = @_;
    my $loc = sub {
        my ($path, $extra) = @_;
        return "        location $path {\n"
            . "            csc_api;\n"
            . "            csc_base_path $path;\n"
            . "            csc_credential_store \"sqlite3:$root/fixtures/main.db\";\n"
            . "            csc_auth_basic_user_file \"$root/fixtures/htpasswd-nginx\";\n"
            . "            csc_otp_delivery \"command:$root/bin/otp-hang\";\n"
            . "            $extra\n"
            . "        }\n";
    };
    return join "\n",
        qq(load_module "$module";),
        'worker_processes 1;',
        'env SOFTHSM2_CONF;',
        qq(pid "$dir/nginx.pid";),
        qq(error_log "$dir/error_log" info;),
        'thread_pool one threads=1;',
        'events { worker_connections 64; }',
        'http {',
        (map { qq(    ${_}_temp_path "$dir/$_";) } qw(client_body proxy fastcgi uwsgi scgi)),
        '    access_log off;',
        qq(    csc_state_file "$dir/csc-state";),
        '    csc_pkcs11_module /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so;',
        qq(    csc_pkcs11_pin "file:$root/fixtures/token.pin";),
        '    csc_thread_pool one;',
        '    server {',
        "        listen 127.0.0.1:$lport;",
        $loc->('/csc', '') . $loc->('/fast/csc', "csc_thread_pool $fast_pool;"),
        '    }',
        '}', '';
}
sub write_file { my ($f, $t) = @_; open my $fh, '>', $f or die "$f: $!"; print $fh $t; close $fh }
my $nginx_t = sub {
    write_file("$dir/nginx.conf", loop_conf($_[0]));
    my $o = `/usr/sbin/nginx -t -p '$dir' -e '$dir/nginx-t.log' -c '$dir/nginx.conf' 2>&1`;
    return ($? >> 8, $o);
};
my ($st, $o) = $nginx_t->('one fast');
ok t_true($st != 0 && $o =~ /csc_thread_pool: "fast" is not "slow"/,
          'nginx -t refuses a second word other than slow', $o);
($st, $o) = $nginx_t->('one slow');
ok t_cmp($st, 0, 'nginx -t passes csc_thread_pool one slow') or print STDERR "# $o\n";
system('/usr/sbin/nginx', '-p', $dir, '-e', "$dir/error_log", '-c', "$dir/nginx.conf") == 0
    or die "the private nginx did not start";
# a check that dies on the way must not leave it running (the parent
# only: a child that exits must not stop it)
my $test_pid = $$;
END {
    if ($$ == $test_pid && open my $pf, '<', "$dir/nginx.pid") {
        chomp(my $p = <$pf> // '');
        kill 'QUIT', $p if $p;
    }
}
my $lbase = "http://127.0.0.1:$lport";
my $up = 0;
for (1 .. 50) { my ($rr) = csc_call('v1', 'info', {}, prefix => "$lbase/csc"); $up = $rr->code == 200 and last; sleep 0.1 }
ok t_cmp($up, 1, 'the private nginx answers');
my $ltok = login('v1', 'frank', 'frank-secret', prefix => "$lbase/csc");
my $etok = login('v1', 'erin', 'erin-secret', prefix => "$lbase/csc");
my ($ar, $aj) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-p256', numSignatures => 2},
                         token => $ltok, prefix => "$lbase/fast/csc");
my $lsad = $aj->{SAD} // '';
chomp(my $lmaster = slurp("$dir/nginx.pid"));
my ($lworker) = map { /(\d+)/ ? $1 : () } `ps -o pid= --ppid $lmaster`;
my $hang = later(sub { (csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'},
                                 token => $etok, prefix => "$lbase/csc"))[0]->code });
my $held = 0;
for (1 .. 50) {
    $held = grep { /^\s*\d+\s+$lworker\s+(sleep 120|.*otp-hang)/ } `ps -eo pid=,ppid=,args=`;
    last if $held;
    sleep 0.1;
}
my $held_at = time;
ok t_cmp($held ? 1 : 0, 1, "the OTP delivery holds the pool's only thread");
Apache::TestRequest::user_agent(reset => 1, keep_alive => 0);
my ($ir) = csc_call('v1', 'info', {}, prefix => "$lbase/csc");
my $info_at = time;
my ($sr, $sj) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-p256', SAD => $lsad,
    signAlgo => '1.2.840.10045.4.3.2', hash => [digest()]}, token => $ltok, prefix => "$lbase/fast/csc");
my $sign_at = time;
my ($lr, $lj) = csc_call('v2', 'credentials/list', {}, token => $ltok, prefix => "$lbase/fast/csc");
my $list_at = time;
my $queued_list = later(sub { (csc_call('v2', 'credentials/list', {}, token => $ltok,
                                        prefix => "$lbase/csc"))[0]->code });
my $queued_pin = later(sub { (csc_call('v1', 'credentials/authorize',
    {credentialID => 'frank-p256', numSignatures => 1}, token => $ltok, prefix => "$lbase/fast/csc"))[0]->code });
my ($hung, $ql, $qp) = (collect($hang), collect($queued_list), collect($queued_pin));
ok t_cmp($hung->[0], 503, 'the hung delivery ends in a JSON 503');
ok t_cmp($ir->code, 200, 'info meanwhile: 200');
# the delivery holds the thread for its timeout, 10 s: what came back
# within 5 s did not wait for it, what came back after 8 s did
ok t_op($info_at - $held_at, '<', 5, 'answered on the event loop, not after the thread');
ok t_cmp($sr->code . ' ' . scalar @{$sj->{signatures} // []}, '200 1', 'a signature under "slow" meanwhile');
ok t_op($sign_at - $held_at, '<', 5, 'answered on the event loop too');
ok t_cmp($lr->code, 200, 'a credential list under "slow" meanwhile');
ok t_op($list_at - $held_at, '<', 5, 'on the event loop as well');
ok t_cmp($ql->[0], 200, 'a credential list where the pool takes every wait');
ok t_op($ql->[1] - $held_at, '>', 8, 'answered only when the thread was free');
ok t_cmp($qp->[0] . ' ' . ($qp->[1] - $held_at > 8 ? 'after' : 'before'), '200 after',
         'an authorization (a PIN or OTP check) goes to the pool even under "slow"');
kill 'QUIT', $lmaster;
for (1 .. 100) { last unless kill 0, $lmaster; sleep 0.1 }
my $lerr = slurp("$dir/error_log");
ok t_unlike($lerr, qr/\[(alert|crit|emerg)\]|open socket/, "the private nginx's log has no alert");
