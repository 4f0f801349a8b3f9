# SPDX-License-Identifier: Apache-2.0
# Runs last: no password, PIN, OTP, SAD, token or client secret that any
# test sent or received appears in the error log or the access logs.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use CSC::Test;

my $logs = Apache::Test::vars('t_logs');
my @secrets;
if (open my $fh, '<', "$logs/secrets-seen") {
    chomp(@secrets = <$fh>);
}
my $fx = fixture();
push @secrets, map { $_->{password} } values %{$fx->{users}};
push @secrets, grep { defined } map { ($_->{pin}, $_->{secret}) } values %{$fx->{credentials}};
push @secrets, $fx->{token_pin};
# the PostgreSQL password of the pgsql run
push @secrets, $fx->{db_password} if $fx->{db_password};
# the OAuth 2.0 clients' secrets (t/api/090, 092)
push @secrets, grep { defined } map { $_->{secret} } values %{$fx->{clients} || {}};
my %uniq = map { $_ => 1 } grep { defined && length >= 6 } @secrets;
@secrets = keys %uniq;

plan tests => 4;
ok t_op(scalar(@secrets), '>', 20, 'the suite saw secrets');
my $text = '';
for my $f ("$logs/error_log", "$logs/access_log", "$logs/csc_access_log",
            "$logs/tenant_error_log", "$logs/tenant_access_log") {
    open my $fh, '<', $f or next;
    while (my $line = <$fh>) {
        # time stamps, pids and ports are numbers too: a six-digit OTP
        # would match them by chance
        $line =~ s/^\[[^\]]*\] \[[^\]]*\] \[[^\]]*\]//;
        $line =~ s/\[client [^\]]*\]//g;
        $line =~ s/\[\d\d\/\w+\/\d+:[^\]]*\]//g;
        $line =~ s/\bpid=\d+//g;
        $text .= $line;
    }
}
ok t_op(length($text), '>', 1000, 'logs were written');
my @long = grep { !/^\d+$/ } @secrets;
my @codes = grep { /^\d+$/ } @secrets;
my @leaks = grep { index($text, $_) >= 0 } @long;
ok t_cmp(scalar(@leaks), 0, 'no token, SAD, password or PIN in any log' . (@leaks ? " (found $leaks[0])" : ''));
@leaks = grep { $text =~ /(?<![\d.:])\Q$_\E(?![\d.])/ } @codes;
ok t_cmp(scalar(@leaks), 0, 'no OTP or numeric PIN in any log' . (@leaks ? " (found $leaks[0])" : ''));
