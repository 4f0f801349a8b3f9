# SPDX-License-Identifier: Apache-2.0
# Lockout holds under bursts: 30 guesses sent at once on 30 connections,
# spread over the children, are counted before they are evaluated, so at
# most CSCMaxAuthFailures (5 on /csc) of them are ever checked against the
# factor, for a PIN, a TOTP, an HOTP and an online OTP; the credential ends
# blocked.  In a burst of 29 wrong guesses and the right one, the right one
# gets a SAD only while fewer than 5 wrong ones were counted before it.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use CSC::Test;
use CSC::OTP qw(totp hotp);

plan tests => 4 * 2 + 3;

my $erin = login('v1', 'erin', 'erin-secret');
my $c = fixture()->{credentials};
my $MAX = 5;

sub guess {
    my ($cred, %factor) = @_;
    return csc_call('v1', 'credentials/authorize', {credentialID => $cred, numSignatures => 1, %factor},
                    token => $erin);
}
# what each answer was: evaluated and wrong, refused unevaluated, granted
sub tally {
    my %n = (wrong => 0, locked => 0, granted => 0, other => 0);
    for (@_) {
        if (/^200 /) { $n{granted}++ }
        elsif (/"error":"invalid_(pin|otp)"/) { $n{wrong}++ }
        elsif (/"error_description":"(PIN|OTP) locked"/) { $n{locked}++ }
        else { $n{other}++; print STDERR "# unexpected answer: $_\n" }
    }
    return \%n;
}
sub status_of {
    my ($cred) = @_;
    my (undef, $j) = csc_call('v1', 'credentials/info', {credentialID => $cred}, token => $erin);
    return $j->{key}{status} // 'none';
}
sub burst {
    my ($name, $cred, $make) = @_;
    my (undef, undef, @answers) = race(30, $make);
    my $n = tally(@answers);
    ok t_cmp("wrong $n->{wrong}, other $n->{other}", "wrong $MAX, other 0",
             "$name: of 30 parallel wrong guesses exactly $MAX are evaluated, the rest meet the lock"
             . " ($n->{locked} locked)");
    ok t_cmp(status_of($cred), 'disabled', "$name: the credential ends blocked");
}

burst('PIN', 'erin-burst-pin', sub { guess('erin-burst-pin', PIN => sprintf('%06d', int(rand(999999)))) });

my $totp_wrong = sub {
    my $right = totp($c->{'erin-burst-totp'}{secret}, time, 30, 6);
    my $g;
    do { $g = sprintf '%06d', int(rand(1000000)) } while $g eq $right;
    return $g;
};
burst('TOTP', 'erin-burst-totp', sub { guess('erin-burst-totp', OTP => $totp_wrong->()) });

my @hotp_window = map { hotp($c->{'erin-burst-hotp'}{secret}, $_, 6) } 0 .. 20;
my $hotp_wrong = sub {
    my $g;
    do { $g = sprintf '%06d', int(rand(1000000)) } while grep { $_ eq $g } @hotp_window;
    return $g;
};
burst('HOTP', 'erin-burst-hotp', sub { guess('erin-burst-hotp', OTP => $hotp_wrong->()) });

my ($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-burst-online'}, token => $erin);
my $sent = CSC::OTP::last_sent('erin-burst-online') // '';
burst('online OTP', 'erin-burst-online', sub {
    my $g;
    do { $g = sprintf '%06d', int(rand(1000000)) } while $g eq $sent;
    guess('erin-burst-online', OTP => $g);
});

# 29 wrong and the right PIN at once
my $pin = $c->{'erin-burst-mix'}{pin};
my (undef, undef, @answers) = race(30, sub {
    my ($i) = @_;
    guess('erin-burst-mix', PIN => $i == 15 ? $pin : sprintf('%06d', 100000 + $i));
});
my $n = tally(@answers);
ok t_cmp($n->{other}, 0, 'mixed burst: every answer is a grant, a wrong PIN or the lock');
ok t_op($n->{wrong}, '<=', $MAX * (1 + $n->{granted}),
        "mixed burst: at most $MAX wrong PINs evaluated per success (wrong $n->{wrong}, granted $n->{granted})");
ok t_op($n->{granted}, '<=', 1, 'mixed burst: at most one grant');
