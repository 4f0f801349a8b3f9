#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# Turns DIR/runs.jsonl and DIR/facts.json (written by bench/run.sh) into
# DIR/results.json, DIR/results.md and DIR/chart.dat (gnuplot input).
#
#   perl bench/report.pl DIR
#
# Medians are quoted; the spread is the min..max over the repetitions.
# Every ratio divides a median by a median; the per-repetition ratios give
# its spread.  Targets are reported (PASS/MISS), never asserted: the exit
# status is non-zero only when the input is unusable.
use strict;
use warnings;
use JSON::PP;
use List::Util qw(sum);

my $dir = shift @ARGV or die "usage: report.pl DIR\n";
my $json = JSON::PP->new->canonical->pretty;

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or die "report.pl: cannot read $f: $!\n";
    local $/;
    return scalar <$fh>;
}

my $facts = decode_json(slurp("$dir/facts.json"));
my @runs = map { decode_json($_) } grep { /\S/ } split /\n/,
    slurp("$dir/runs.jsonl");

sub median {
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    my $n = @v;
    return $n % 2 ? $v[$n / 2] : ($v[$n / 2 - 1] + $v[$n / 2]) / 2;
}
sub minmax {
    my @v = sort { $a <=> $b } @_;
    return @v ? ($v[0], $v[-1]) : (undef, undef);
}
sub stat_of {
    my @v = @_;
    my ($lo, $hi) = minmax(@v);
    return { median => median(@v), min => $lo, max => $hi,
             reps => [@v] };
}

# ---- raw rates ---------------------------------------------------------------
# Measured once per repetition of each MPM block (rep 1..n), plus the
# informational forked-process runs (mpm "-").
# rate, CPU and system µs per operation: every value per raw name, for
# the median (older runs have no system time, the oldest no CPU time)
my (%raw_vals, %raw_at);
for my $r (grep { $_->{kind} eq 'raw' } @runs) {
    for my $k (qw(rate cpu_us_per_op sys_us_per_op)) {
        push @{ $raw_vals{$k}{ $r->{name} } }, $r->{result}{$k}
            if defined $r->{result}{$k};
    }
    $raw_at{ $r->{mpm} // '-' }{ $r->{rep} }{ $r->{name} } = $r->{result}{rate};
}
sub medians {
    my ($h) = @_;
    return map { $_ => median(@{ $h->{$_} }) } keys %$h;
}
my %raw = map { $_ => stat_of(@{ $raw_vals{rate}{$_} }) }
          keys %{ $raw_vals{rate} };
my %raw_cpu = medians($raw_vals{cpu_us_per_op} || {});
my %raw_sys = medians($raw_vals{sys_us_per_op} || {});
die "report.pl: raw rates missing\n"
    unless $raw{rsa} && $raw{ec} && $raw{ecfile} && $raw{pin};
sub flow_bound { my ($s, $p) = @_; return 1 / (1 / $s + 1 / $p); }
my $flow_raw = flow_bound($raw{rsa}{median}, $raw{pin}{median});

# the raw rate a scenario is compared with, in one repetition: the mean of
# the raw runs right before it and right after it (the next repetition's,
# or the closing one), so that a raw run that happened to come out high or
# low, or drift during the repetition, weighs half
sub raw_of {
    my ($m, $rep, $name) = @_;
    my $get = sub {
        my @v = grep { defined }
            map { ($raw_at{$m}{$_} || {})->{ $_[0] } } $rep, $rep + 1;
        return @v ? (sum(@v) / @v) : $raw{ $_[0] }{median};
    };
    return $name eq 'flow' ? flow_bound($get->('rsa'), $get->('pin'))
                           : $get->($name);
}

# ---- scenarios -----------------------------------------------------------------
my %desc = (
    a     => 'signHash, 1 hash, RSA-2048',
    b     => 'signHash, 1 hash, ECDSA P-256',
    b_file => 'signHash, 1 hash, ECDSA P-256, key in a file (no HSM)',
    c     => 'signHash, batch of 32 hashes, RSA-2048',
    d     => 'authorize (PIN) + signHash, RSA-2048',
    e     => 'info (GET): module HTTP floor',
    f     => 'static 1 KiB file: httpd floor',
    a_tls => 'signHash, 1 hash, RSA-2048, over TLS',
    raw_a => 'the bare RSA-2048 signature inside the server (a\'s requests, no CSC)',
    raw_b => 'the bare ECDSA P-256 signature inside the server (b\'s requests, no CSC)',
    raw_b_file => 'the bare file-key signature inside the server (b_file\'s requests, no CSC)',
);
my @order = qw(a b b_file c d e f a_tls raw_a raw_b raw_b_file);
# what each ratio divides by (raw: rsa, ec or flow; e: scenario f), its
# target (undef: informational), and the signatures per request and HTTP
# requests per signature for the HTTP-floor bound
my %ratio = (
    a     => { over => 'raw RSA-2048 signing', raw => 'rsa', target => 0.85,
               req_per_sig => 1 },
    b     => { over => 'raw ECDSA P-256 signing', raw => 'ec', target => 0.60,
               req_per_sig => 1 },
    b_file => { over => 'raw ECDSA P-256 signing, same file key',
                raw => 'ecfile', req_per_sig => 1 },
    c     => { over => 'raw RSA-2048 signing', raw => 'rsa', target => 0.95,
               req_per_sig => 1 / 32 },
    d     => { over => '1/(1/raw sign + 1/raw PIN)', raw => 'flow',
               target => 0.80, req_per_sig => 2 },
    e     => { over => 'static 1 KiB (same MPM)', target => 0.80 },
    a_tls => { over => 'raw RSA-2048 signing', raw => 'rsa',
               req_per_sig => 1 },
    # informational: their overhead is the server's around a signature
    raw_a => { over => 'raw RSA-2048 signing', raw => 'rsa',
               req_per_sig => 1, info => 1 },
    raw_b => { over => 'raw ECDSA P-256 signing', raw => 'ec',
               req_per_sig => 1, info => 1 },
    raw_b_file => { over => 'raw ECDSA P-256 signing, same file key',
                    raw => 'ecfile', req_per_sig => 1, info => 1 },
);

# CPU (or system) µs per signature of a raw name; a flow is one signature
# and one PIN verification
sub raw_cost {
    my ($per_op, $name) = @_;
    return $per_op->{$name} if $name ne 'flow';
    return defined $per_op->{rsa} && defined $per_op->{pin}
        ? $per_op->{rsa} + $per_op->{pin} : undef;
}

# The raw CPU per operation measured within one MPM's block (its
# repetitions' raw sets), else over the whole run.
my %raw_cpu_in;
for my $r (grep { $_->{kind} eq 'raw' } @runs) {
    push @{ $raw_cpu_in{ $r->{mpm} }{ $r->{name} } }, $r->{result}{cpu_us_per_op}
        if defined $r->{result}{cpu_us_per_op};
}
sub raw_cpu_of {
    my ($m, $name) = @_;
    my %in = medians($raw_cpu_in{$m} || {});
    my $v = raw_cost(\%in, $name);
    return defined $v ? $v : raw_cost(\%raw_cpu, $name);
}

# What the server spends per HTTP request beyond the signatures (and PIN
# checks) the request asks for, in units of what it spends on a static
# 1 KiB file: (httpd CPU per signature - raw CPU per signature) / (HTTP
# requests per signature x static CPU per request).  1.0 means the module
# and everything it drives (JSON, token and SAD state, the store, libp11
# and the token library's share beyond the raw loop's) cost as much as
# httpd spends serving a small file.  Against the raw loop in threads
# (the baseline) and, where measured (full mode), in forked processes,
# prefork's shape.
my $overhead_target = 1.0;
# the other baselines of the multiple, each the CPU per signature of: the
# raw loop in forked processes (full mode); each signature's own when it
# follows a loopback round trip, as in a server (rawsign --round-trips);
# and the bare signature inside the server, a request of the same MPM's
# raw_ scenario (bench/mod_bench_rawsign.c; nginx-loop: nginx's when a run
# from before its own has none), where the module's own work is all that
# differs
my %res;
sub raw_run_cpu {
    my ($suffix) = @_;
    return sub { my ($m, $sc, $raw) = @_; return $raw_cpu{ $raw . $suffix }; };
}
my @other_baselines = (
    { of => qr/^(rsa|ec)$/, cpu => raw_run_cpu('-procs'), raw => 'procs',
      multiple => 'procs', column => 'against raw in processes' },
    { of => qr/^(rsa|ec|ecfile)$/, cpu => raw_run_cpu('-rt'),
      raw => 'round_trip', multiple => 'round_trips',
      column => 'against raw after a round trip' },
    { of => qr/^(rsa|ec|ecfile)$/, raw => 'in_server', multiple => 'in_server',
      column => 'against the bare signature in the server',
      cpu => sub {
          my ($m, $sc) = @_;
          my $t = $sc =~ /^(a|b|b_file)$/
              && ($res{$m}{"raw_$sc"}
                  || ($m eq 'nginx-loop' && $res{nginx}{"raw_$sc"}))
              or return undef;
          return median(@{ $t->{cpu_sig} || [] });
      } },
);
sub overhead {
    my ($m, $sc, $rd, $cpu_sig, $static) = @_;
    return undef unless $rd && $rd->{raw} && $rd->{req_per_sig}
        && $cpu_sig && $static;
    my $raw = raw_cpu_of($m, $rd->{raw});
    return undef unless defined $raw;
    my %o = (
        multiple => ($cpu_sig - $raw) / ($rd->{req_per_sig} * $static),
        httpd_cpu_us_per_signature => $cpu_sig,
        raw_cpu_us_per_signature => $raw,
        static_cpu_us_per_request => $static,
        requests_per_signature => $rd->{req_per_sig},
        target => $overhead_target,
    );
    $o{pass} = $o{multiple} <= $overhead_target ? JSON::PP::true
                                                : JSON::PP::false
        unless $rd->{info};
    for my $b (@other_baselines) {
        my $r = $rd->{raw} =~ $b->{of} && $b->{cpu}->($m, $sc, $rd->{raw})
            or next;
        $o{"raw_$b->{raw}_cpu_us_per_signature"} = $r;
        $o{"multiple_vs_$b->{multiple}"} =
            ($cpu_sig - $r) / ($rd->{req_per_sig} * $static);
    }
    return \%o;
}

my (@mpms, %seen_mpm, %warm_errors);
for my $r (grep { $_->{kind} eq 'wrk' } @runs) {
    my $m = $r->{mpm};
    push @mpms, $m unless $seen_mpm{$m}++;
    my $x = $r->{result};
    my $s = $x->{duration_us} / 1e6;
    my $e = $x->{errors};
    my $errs = $e->{connect} + $e->{read} + $e->{write} + $e->{timeout};
    if ($r->{rep} == 0) {
        $warm_errors{$m}{ $r->{scenario} } = $x->{non200} + $errs
            if $x->{non200} + $errs;
        next;
    }
    next if $r->{scenario} eq 'mem';
    my $t = $res{$m}{ $r->{scenario} } //= {};
    push @{ $t->{rep} }, $r->{rep};
    push @{ $t->{rps} }, $x->{requests} / $s;
    push @{ $t->{sps} }, $x->{signatures} / $s;
    push @{ $t->{p50} }, $x->{latency_us}{p50} / 1000;
    push @{ $t->{p99} }, $x->{latency_us}{p99} / 1000;
    if (defined $r->{server_cpu_s} && $x->{requests}) {
        push @{ $t->{cpu_req} }, $r->{server_cpu_s} * 1e6 / $x->{requests};
        push @{ $t->{sys_req} }, $r->{server_sys_s} * 1e6 / $x->{requests}
            if defined $r->{server_sys_s};
        push @{ $t->{cpu_sig} }, $r->{server_cpu_s} * 1e6 / $x->{signatures}
            if $x->{signatures};
        push @{ $t->{wrk_cpu_req} },
            ($r->{client_cpu_s} // 0) * 1e6 / $x->{requests};
    }
    $t->{non200} += $x->{non200};
    $t->{socket_errors} += $errs;
    $t->{requests} += $x->{requests};
}

my (%out_mpm, @targets);
for my $m (@mpms) {
    my $f = $res{$m}{f};
    my %f_at;
    @f_at{ @{ $f->{rep} } } = @{ $f->{rps} } if $f;
    my $f_med = $f ? median(@{ $f->{rps} }) : undef;
    for my $sc (@order) {
        my $t = $res{$m}{$sc} or next;
        my %o = (
            description       => $desc{$sc},
            requests_per_s    => stat_of(@{ $t->{rps} }),
            signatures_per_s  => stat_of(@{ $t->{sps} }),
            latency_p50_ms    => stat_of(@{ $t->{p50} }),
            latency_p99_ms    => stat_of(@{ $t->{p99} }),
            server_cpu_us_per_request => median(@{ $t->{cpu_req} || [] }),
            server_cpu_us_per_signature => median(@{ $t->{cpu_sig} || [] }),
            server_sys_us_per_request => median(@{ $t->{sys_req} || [] }),
            wrk_cpu_us_per_request => median(@{ $t->{wrk_cpu_req} || [] }),
            non200            => $t->{non200},
            socket_errors     => $t->{socket_errors},
            requests          => $t->{requests},
        );
        my $rd = $ratio{$sc};
        my @per_rep;
        for my $i (0 .. $#{ $t->{rep} }) {
            my $rep = $t->{rep}[$i];
            if (!$rd) {
                next;
            }
            elsif ($sc eq 'e') {
                push @per_rep, $t->{rps}[$i] / $f_at{$rep} if $f_at{$rep};
            }
            else {
                push @per_rep, $t->{sps}[$i] / raw_of($m, $rep, $rd->{raw});
            }
        }
        if (@per_rep) {
            my $med = median(@per_rep);
            my ($lo, $hi) = minmax(@per_rep);
            $o{ratio} = { median => $med, min => $lo, max => $hi,
                          over => $rd->{over} };
            if ($rd->{req_per_sig} && $f_med) {
                # the ratio a module costing no more CPU per request than
                # a static file would reach, CPU costs adding up
                my $raw_med = median(map { raw_of($m, $_, $rd->{raw}) }
                                     @{ $t->{rep} });
                $o{ratio}{http_floor_bound} =
                    (1 / $raw_med)
                    / (1 / $raw_med + $rd->{req_per_sig} / $f_med);
            }
            if (defined $rd->{target}) {
                my $pass = $med >= $rd->{target} ? JSON::PP::true
                                                 : JSON::PP::false;
                $o{ratio}{target} = $rd->{target};
                $o{ratio}{pass} = $pass;
                # a miss no module could have avoided on this machine
                $o{ratio}{target_above_bound} =
                    defined $o{ratio}{http_floor_bound}
                    && $o{ratio}{http_floor_bound} < $rd->{target}
                    ? JSON::PP::true : JSON::PP::false;
                push @targets, { mpm => $m, scenario => $sc, ratio => $med,
                                 target => $rd->{target}, pass => $pass,
                                 target_above_bound =>
                                     $o{ratio}{target_above_bound} };
            }
        }
        # the same comparison in CPU time, which other load barely moves
        my $raw_cpu = $rd && $rd->{raw} && raw_cost(\%raw_cpu, $rd->{raw});
        if ($raw_cpu && $o{server_cpu_us_per_signature}) {
            $o{raw_cpu_us_per_signature} = $raw_cpu;
            $o{raw_sys_us_per_signature} = raw_cost(\%raw_sys, $rd->{raw});
            $o{cpu_ratio} = $raw_cpu / $o{server_cpu_us_per_signature};
        }
        elsif ($sc eq 'e' && $f && $o{server_cpu_us_per_request}) {
            my $fc = median(@{ $f->{cpu_req} || [] });
            $o{cpu_ratio} = $fc / $o{server_cpu_us_per_request} if $fc;
        }
        # pgsql is the event MPM with its state elsewhere and runs no f:
        # event's static file is its floor
        my $fs = $f || ($m eq 'pgsql' && $res{event}{f});
        my $ov = overhead($m, $sc, $rd, $o{server_cpu_us_per_signature},
                          $fs && median(@{ $fs->{cpu_req} || [] }));
        $o{overhead} = $ov if $ov;
        $out_mpm{$m}{scenarios}{$sc} = \%o;
    }
    $out_mpm{$m}{warmup_errors} = $warm_errors{$m} || {};
}

# ---- where the CPU of an ECDSA signHash goes ---------------------------------------
# b_file is b with the key in a file: httpd CPU per request minus the raw
# CPU of a file-key signature is what HTTP and the module cost per
# signHash without an HSM; what b costs beyond that is the HSM's signature
# as it runs inside httpd, next to the same signature in the raw loop.
for my $m (@mpms) {
    my $sc = $out_mpm{$m}{scenarios};
    my %c = map { $_ => ($sc->{$_} || {})->{server_cpu_us_per_request} }
            qw(b b_file e f);
    next if grep { !defined } values %c;
    next unless $raw_cpu{ecfile} && $raw_cpu{ec};
    my $http_module = $c{b_file} - $raw_cpu{ecfile};
    my $hsm_in_httpd = $c{b} - $http_module;
    $out_mpm{$m}{signhash_cpu_split} = {
        static_file_us => $c{f},
        info_us => $c{e},
        signhash_without_signature_us => $http_module,
        signhash_beyond_info_us => $http_module - $c{e},
        hsm_signature_in_httpd_us => $hsm_in_httpd,
        hsm_signature_raw_us => $raw_cpu{ec},
        # the same requests answered by a bare signature in httpd
        bare_signature_in_httpd_us =>
            ($sc->{raw_b} || {})->{server_cpu_us_per_request},
        bare_file_signature_in_httpd_us =>
            ($sc->{raw_b_file} || {})->{server_cpu_us_per_request},
        # b's CPU ratio if a signHash cost nothing beyond info and its
        # signature
        b_cpu_ratio_if_signhash_cost_info => $raw_cpu{ec}
            / ($hsm_in_httpd + $c{e}),
    };
}

# ---- memory -----------------------------------------------------------------------
sub parse_rss {
    my %h;
    for (split ' ', $_[0] // '') {
        my ($pid, $kib) = split /:/;
        $h{$pid} = $kib;
    }
    return \%h;
}
my %mem_done;     # requests the memory run really completed
for my $r (grep { $_->{kind} eq 'wrk' && $_->{scenario} eq 'mem' } @runs) {
    $mem_done{ $r->{mpm} } = $r->{result}{ok};
}
for my $r (grep { $_->{kind} eq 'memory' } @runs) {
    my ($b, $a) = (parse_rss($r->{before}), parse_rss($r->{after}));
    my ($tb, $ta) = (0, 0);
    $tb += $_ for values %$b;
    $ta += $_ for values %$a;
    my $same = join(',', sort keys %$b) eq join(',', sort keys %$a);
    my $growth = $tb ? ($ta - $tb) / $tb * 100 : undef;
    my ($maxb) = (minmax(values %$b))[1];
    my ($maxa) = (minmax(values %$a))[1];
    $out_mpm{ $r->{mpm} }{memory} = {
        requests => $mem_done{ $r->{mpm} } // 0,
        requests_asked => $r->{requests},
        children_before => scalar(keys %$b),
        children_after => scalar(keys %$a),
        same_children => $same ? JSON::PP::true : JSON::PP::false,
        rss_total_kib_before => $tb,
        rss_total_kib_after => $ta,
        rss_max_child_kib_before => $maxb,
        rss_max_child_kib_after => $maxa,
        growth_percent => $growth,
        target_percent => 5,
        pass => (defined $growth && $growth < 5 && $same)
            ? JSON::PP::true : JSON::PP::false,
    };
}

my %all = (
    facts => $facts,
    raw => \%raw,
    raw_cpu_us_per_op => \%raw_cpu,
    raw_sys_us_per_op => \%raw_sys,
    flow_raw_rate => $flow_raw,
    mpm => \%out_mpm,
    targets => \@targets,
);
open my $jf, '>', "$dir/results.json" or die "$dir/results.json: $!\n";
print $jf $json->encode(\%all);
close $jf;

# ---- Markdown ------------------------------------------------------------------------
# "1 thread", "2 threads", "1 process", "2 processes"
sub plural {
    my ($n, $what) = @_;
    return "$n $what" . ($n == 1 ? '' : $what =~ /s$/ ? 'es' : 's');
}
sub n {
    my ($v, $fmt) = @_;
    return defined $v ? sprintf($fmt // '%.0f', $v) : '-';
}
sub spread {
    my ($s, $fmt) = @_;
    $fmt //= '%.0f';
    return '-' unless $s && defined $s->{median};
    return n($s->{median}, $fmt) if @{ $s->{reps} || [1] } < 2;
    return sprintf("$fmt ($fmt–$fmt)", $s->{median}, $s->{min}, $s->{max});
}

my @md;
push @md, "# mod_csc benchmark ($facts->{mode} mode)", '';
push @md, sprintf('%s; %s rep(s) × %s s per scenario after a %s s warm-up; '
    . 'wrk %s, %s, 127.0.0.1. '
    . 'Medians, with min–max over the repetitions in brackets.',
    $facts->{date}, $facts->{reps}, $facts->{duration_s},
    $facts->{warmup_s}, plural($facts->{wrk_threads}, 'thread'),
    plural($facts->{connections}, 'keep-alive connection')), '';
my $split = ($facts->{wrk_cpus} // '') ne '';
if ($split) {
    push @md, "**Cores split (--wrk-cpus):** wrk runs on CPU(s) "
        . "$facts->{wrk_cpus}, httpd and the raw runs on CPU(s) "
        . "$facts->{server_cpus} ("
        . plural($facts->{raw_threads}, 'raw thread') . "): "
        . 'the load generator takes nothing from the server\'s cores.', '';
}
if (($facts->{event_threads} // 64) != 64) {
    push @md, "**Event MPM (and pgsql): "
        . $facts->{event_children}
        . ($facts->{event_children} == 1 ? ' child' : ' children') . ' of '
        . plural($facts->{event_threads}, 'thread')
        . "** (--threads-per-child; the default is 2 of 64).", '';
}
push @md, "**PIN-hash cost: PBKDF2-HMAC-SHA256, $facts->{pin_iterations} "
    . "iterations** (as stored by csc-admin set-pin).", '';
if ($raw_cpu{syscall}) {
    push @md, sprintf('**System call price on this machine: %.2f µs** (a '
        . 'getpid round trip, %.2f µs of it booked as system time).  Every '
        . 'read, write, epoll, lock and futex of a request pays it, so it '
        . 'scales the HTTP cost of every scenario; compare it before '
        . 'comparing runs from different machines.',
        $raw_cpu{syscall}, $raw_sys{syscall} // 0), '';
}

push @md, '## Raw rates (outside httpd, same keys, same signer code)', '';
push @md, 'Measured before each repetition of each MPM and once after the '
    . 'last (httpd idle); median and range over all of them.', '';
push @md, '| what | per second | CPU µs/op | of which system | shape |',
    '|---|---:|---:|---:|---|';
my %raw_label = (
    rsa => 'RSA-2048 sign (csc_signer_sign, SoftHSM2)',
    ec => 'ECDSA P-256 sign (csc_signer_sign, SoftHSM2)',
    ecfile => 'ECDSA P-256 sign, key in a file (csc_signer_sign, OpenSSL)',
    pin => "PIN verify (csc_pin_verify, $facts->{pin_iterations} it.)",
    'rsa-procs' => 'RSA-2048 sign, forked processes (information)',
    'ec-procs' => 'ECDSA P-256 sign, forked processes (information)',
    'rsa-t64' => 'RSA-2048 sign, as many threads as an event child (information)',
    'ec-t64' => 'ECDSA P-256 sign, as many threads as an event child (information)',
    'rsa-p64' => 'RSA-2048 sign, as many processes as prefork children (information)',
    'ec-p64' => 'ECDSA P-256 sign, as many processes as prefork children (information)',
    'rsa-rt' => 'RSA-2048 sign after a loopback round trip (information; CPU: the signature\'s own, rate: the loop\'s)',
    'ec-rt' => 'ECDSA P-256 sign after a loopback round trip (information; CPU: the signature\'s own, rate: the loop\'s)',
    'ecfile-rt' => 'ECDSA P-256 sign, key in a file, after a loopback round trip (information; CPU: the signature\'s own, rate: the loop\'s)',
    syscall => 'system call round trip (getpid; information)',
);
for my $k (qw(rsa ec ecfile pin rsa-procs ec-procs rsa-t64 ec-t64 rsa-p64
              ec-p64 rsa-rt ec-rt ecfile-rt syscall)) {
    next unless $raw{$k};
    my $shape = $k =~ /-t64/
                ? plural($facts->{event_threads} // 64, 'thread') . ', 1 process'
              : $k =~ /-p64/ ? '64 processes'
              : $k =~ /procs/ ? plural($facts->{raw_threads}, 'process')
              : $k eq 'syscall' ? '1 thread'
              : plural($facts->{raw_threads}, 'thread') . ', 1 process';
    my $fmt = $k eq 'syscall' ? '%.2f' : '%.0f';
    push @md, "| $raw_label{$k} | " . spread($raw{$k}) . ' | '
        . n($raw_cpu{$k}, $fmt) . ' | ' . n($raw_sys{$k}, $fmt)
        . " | $shape |";
}
push @md, sprintf('| full flow bound 1/(1/sign + 1/PIN) | %.1f | - | - | '
                  . 'computed |', $flow_raw), '';

push @md, '## Scenarios', '';
push @md, '| scenario | MPM | requests/s | signatures/s | p50 ms | p99 ms '
    . '| ratio | ratio of | target | result | HTTP-floor bound '
    . '| overhead × static |',
    '|---|---|---:|---:|---:|---:|---:|---|---:|---|---:|---:|';
for my $sc (@order) {
    for my $m (@mpms) {
        my $o = $out_mpm{$m}{scenarios}{$sc} or next;
        my $r = $o->{ratio};
        my ($ratio, $of, $tg, $pf, $bd) = ('-', '-', '-', '-', '-');
        if ($r) {
            $ratio = ($r->{min} // $r->{median}) != ($r->{max} // $r->{median})
                ? sprintf('%.2f (%.2f–%.2f)', $r->{median}, $r->{min},
                          $r->{max})
                : sprintf('%.2f', $r->{median});
            $of = $r->{over};
            $bd = sprintf('%.2f', $r->{http_floor_bound})
                if defined $r->{http_floor_bound};
            if (defined $r->{target}) {
                $tg = sprintf('≥ %.2f', $r->{target});
                $pf = $r->{pass} ? 'PASS' : '**MISS**';
                $pf .= ' (target above bound)'
                    if !$r->{pass} && $r->{target_above_bound};
            }
            else {
                $pf = 'info';
            }
        }
        my $sigs = $sc =~ /^[ef]$/ ? '-' : spread($o->{signatures_per_s});
        push @md, "| $sc: $o->{description} | $m | "
            . spread($o->{requests_per_s}) . " | $sigs | "
            . spread($o->{latency_p50_ms}, '%.1f') . ' | '
            . spread($o->{latency_p99_ms}, '%.1f')
            . " | $ratio | $of | $tg | $pf | $bd | "
            . ($o->{overhead} ? sprintf('%.1f', $o->{overhead}{multiple})
                              : '-') . ' |';
    }
}
push @md, '';
push @md, 'Ratios pair each repetition with the mean of the raw rates '
    . 'measured right before and right after it (median and range over the '
    . 'repetitions).  Scenario d '
    . 'counts both requests (authorize and signHash) in requests/s and in '
    . 'the latencies; signatures/s is completed flows.  **HTTP-floor bound**: '
    . 'the ratio a module that cost no more CPU per request than the static '
    . 'file of scenario f would reach on this machine (CPU costs add up: '
    . 'bound = (1/raw) / (1/raw + requests per signature / static rate)); '
    . ($split ? 'wrk has cores of its own here, so where it cannot '
                . 'send the static file\'s requests as fast as httpd serves '
                . 'them the floor, and the bound, come out too low.  '
              : 'wrk shares the cores, so the floor includes the load '
                . 'generator.  ')
    . '"Target above bound": the target is higher than that bound, so no '
    . 'module could reach it on this machine.', '';

push @md, '## CPU cost', '';
push @md, 'CPU time (user + system) of all httpd processes during each '
    . 'measured run, per request and per signature (median over the '
    . 'repetitions), against the CPU time per operation of the raw runs.  '
    . '**CPU ratio** = raw CPU per signature ÷ httpd CPU per signature '
    . '(d: raw sign + raw PIN per flow; e: static file ÷ info per request): '
    . 'the throughput ratio the module would reach if httpd had the cores '
    . 'to itself.  Unlike the rates it hardly depends on other load.  '
    . '**Of which system**: the part the kernel booked as system time '
    . '(network, scheduling, locks, files); where a system call\'s price is '
    . 'partly booked as user time (see its row among the raw rates), this '
    . 'understates the kernel\'s share.', '';
push @md, '| scenario | MPM | httpd CPU µs/request | of which system '
    . '| httpd CPU µs/signature | raw CPU µs/signature | of which system '
    . '| CPU ratio | wrk CPU µs/request |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|';
for my $sc (@order) {
    for my $m (@mpms) {
        my $o = $out_mpm{$m}{scenarios}{$sc} or next;
        push @md, sprintf('| %s | %s | %s | %s | %s | %s | %s | %s | %s |',
            $sc, $m,
            n($o->{server_cpu_us_per_request}, '%.0f'),
            n($o->{server_sys_us_per_request}, '%.0f'),
            n($o->{server_cpu_us_per_signature}, '%.0f'),
            n($o->{raw_cpu_us_per_signature}, '%.0f'),
            n($o->{raw_sys_us_per_signature}, '%.0f'),
            n($o->{cpu_ratio}, '%.2f'),
            n($o->{wrk_cpu_us_per_request}, '%.0f'));
    }
}
push @md, '';

my @ov_rows;
for my $sc (@order) {
    for my $m (@mpms) {
        my $v = ($out_mpm{$m}{scenarios}{$sc} || {})->{overhead} or next;
        push @ov_rows, sprintf('| %s | %s | %.0f | %.0f | %.2f | %.0f | %.1f '
            . '| %s | %s |', $sc, $m, $v->{httpd_cpu_us_per_signature},
            $v->{raw_cpu_us_per_signature}, $v->{requests_per_signature},
            $v->{static_cpu_us_per_request}, $v->{multiple},
            join(' | ', map {
                defined $v->{"multiple_vs_$_->{multiple}"}
                    ? sprintf('%.1f (raw %.0f)', $v->{"multiple_vs_$_->{multiple}"},
                              $v->{"raw_$_->{raw}_cpu_us_per_signature"})
                    : '-' } @other_baselines),
            !defined $v->{pass} ? 'info' : $v->{pass} ? 'PASS' : '**MISS**');
    }
}
if (@ov_rows) {
    push @md, '## Overhead beyond the signature', '';
    push @md, 'What httpd spends per HTTP request beyond the signatures '
        . '(and PIN checks) it makes, in units of what it spends serving the '
        . 'static 1 KiB file of scenario f with the same MPM: '
        . '**overhead = (httpd CPU µs/signature − raw CPU µs/signature) ÷ '
        . '(requests per signature × static CPU µs/request)**.  The raw '
        . 'CPU is the baseline loop\'s (threads of one process) measured in '
        . 'the same MPM block; in full mode also against the raw loop in '
        . 'forked processes, prefork\'s shape; and against the '
        . 'signature\'s own CPU when each follows a loopback round trip of '
        . '1 KiB, as a server worker\'s does (rawsign --round-trips: what '
        . 'the sleep, the wake-up and the network path leave in the caches '
        . 'costs the signature); and against a request of the same MPM\'s '
        . 'raw_ scenario, the bare signature inside the server '
        . '(bench/mod_bench_rawsign.c, nginx and nginx-loop: '
        . 'bench/ngx_bench_rawsign: the same requests, answered '
        . 'with a signature of the body\'s hash and nothing else), where '
        . 'what is left is the module\'s own work.  The raw_ rows themselves show '
        . 'what a server costs around a bare signature (information).  '
        . 'Target ≤ '
        . sprintf('%.1f', $overhead_target) . ': the module and what it '
        . 'drives cost no more than a static file.', '';
    push @md, '| scenario | MPM | httpd CPU µs/signature | raw CPU '
        . 'µs/signature | requests/signature | static CPU µs/request '
        . '| overhead × static | '
        . join(' | ', map { $_->{column} } @other_baselines) . ' | result |',
        '|---|---|---:|---:|---:|---:|---:|'
        . join('', map { '---:|' } @other_baselines) . '---|', @ov_rows, '';
}

my @split_mpms = grep { $out_mpm{$_}{signhash_cpu_split} } @mpms;
if (@split_mpms) {
    push @md, '## Where the CPU of an ECDSA signHash goes', '';
    push @md, 'The server\'s CPU µs per request (medians), from scenarios f, e, b '
        . 'and b_file and the raw CPU per signature of the file key '
        . '(ecfile) and of the SoftHSM2 key (ec).  b_file minus its raw '
        . 'signature is what HTTP and the module cost per signHash without '
        . 'an HSM; b minus that is the SoftHSM2 signature as it runs inside '
        . 'the server.', '';
    push @md, '| µs per request | ' . join(' | ', @split_mpms) . ' |',
        '|---|' . join('', map { '---:|' } @split_mpms);
    my @rows = (
        [ 'static 1 KiB file (f): the server\'s floor', 'static_file_us' ],
        [ 'info (e): the server + the module\'s floor', 'info_us' ],
        [ 'signHash without its signature (b_file − raw ecfile)',
          'signhash_without_signature_us' ],
        [ '… of which beyond info', 'signhash_beyond_info_us' ],
        [ 'SoftHSM2 ECDSA signature inside the server (b − signHash without '
          . 'its signature)', 'hsm_signature_in_httpd_us' ],
        [ 'SoftHSM2 ECDSA signature in the raw loop (ec)',
          'hsm_signature_raw_us' ],
        [ 'b\'s requests answered by a bare SoftHSM2 signature in the server '
          . '(raw_b)', 'bare_signature_in_httpd_us' ],
        [ 'b_file\'s requests answered by a bare file-key signature in '
          . 'the server (raw_b_file)', 'bare_file_signature_in_httpd_us' ],
    );
    for my $row (@rows) {
        push @md, "| $row->[0] | " . join(' | ',
            map { n($out_mpm{$_}{signhash_cpu_split}{ $row->[1] }, '%.0f') }
            @split_mpms) . ' |';
    }
    push @md, '| b\'s CPU ratio if signHash cost no more than info besides '
        . 'its signature | ' . join(' | ', map {
            n($out_mpm{$_}{signhash_cpu_split}
                  {b_cpu_ratio_if_signhash_cost_info}, '%.2f') }
            @split_mpms) . ' |', '';
}

push @md, '## Memory', '';
my $mem_key = ($facts->{memory_key} // 'ec') eq 'rsa' ? 'RSA-2048'
                                                     : 'ECDSA P-256';
push @md, "signHash requests with one hash, $mem_key key; RSS summed over "
    . 'all httpd children, measured after a warm-up and after the run.', '';
push @md, '| MPM | signHash requests | children | RSS total before | '
    . 'after | growth | largest child before → after | target | result |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|';
for my $m (@mpms) {
    my $x = $out_mpm{$m}{memory} or next;
    push @md, sprintf('| %s | %d | %d%s | %.1f MiB | %.1f MiB | %s | '
        . '%.1f → %.1f MiB | < 5%% | %s |',
        $m, $x->{requests}, $x->{children_after},
        $x->{same_children} ? '' : ' (changed!)',
        $x->{rss_total_kib_before} / 1024, $x->{rss_total_kib_after} / 1024,
        defined $x->{growth_percent}
            ? sprintf('%+.2f%%', $x->{growth_percent}) : '-',
        ($x->{rss_max_child_kib_before} // 0) / 1024,
        ($x->{rss_max_child_kib_after} // 0) / 1024,
        $x->{pass} ? 'PASS' : '**MISS**');
}
push @md, '';

my @warm;
for my $m (@mpms) {
    my $w = $out_mpm{$m}{warmup_errors};
    push @warm, map { "$m/$_: $w->{$_}" } sort keys %$w;
}
if (@warm) {
    push @md, '**Warm-up errors** (not counted in the results; see '
        . 'error_log.*): ' . join(', ', @warm), '';
}

push @md, '## Machine', '';
for my $k (qw(cpu cores memory kernel httpd openssl softhsm wrk commit user
               loadavg_start loadavg_end)) {
    push @md, "- $k: $facts->{$k}" if defined $facts->{$k};
}
my ($l1) = split ' ', $facts->{loadavg_start} // '0';
if ($l1 > 0.5 * ($facts->{cores} || 1)) {
    push @md, '', "**Warning:** the load average was $l1 when the run "
        . "started on $facts->{cores} cores: other work competed for the "
        . 'CPU and the figures are noisy.';
}
push @md, '';
open my $mf, '>', "$dir/results.md" or die "$dir/results.md: $!\n";
print $mf join("\n", @md);
close $mf;

# ---- gnuplot data: one row per scenario with a target ----------------------
open my $cf, '>', "$dir/chart.dat" or die "$dir/chart.dat: $!\n";
# columns: scenario, then median min max per MPM (in @mpms order), target
for my $sc (qw(a b c d e a_tls)) {
    my @cols;
    for my $m (@mpms) {
        my $r = $out_mpm{$m}{scenarios}{$sc}{ratio};
        push @cols, $r ? sprintf('%.4f %.4f %.4f', $r->{median},
                                 $r->{min} // $r->{median},
                                 $r->{max} // $r->{median})
                       : 'NaN NaN NaN';
    }
    my $tg = $ratio{$sc}{target};
    push @cols, defined $tg ? $tg : 'NaN';
    print $cf "\"$sc\" @cols\n";
}
close $cf;
print join("\n", @md), "\n";
exit 0;
