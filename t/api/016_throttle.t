# SPDX-License-Identifier: Apache-2.0
# Throttles: wrong passwords per user name (CSCLoginLimit 3 on /limit/csc,
# counted before the password is checked, so parallel guesses cannot
# overrun it), online OTPs per user (CSCOTPLimit 2), calls per client
# address (CSCClientLimit 5 on /climit/csc); each answers 429
# temporarily_unavailable with Retry-After to the offender only.  An
# unknown user name takes as long to refuse as a wrong password.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);
use lib 't/lib';
use CSC::Test;

plan tests => 20;

my $TOO_MANY = '429|temporarily_unavailable|Too many requests, try again later';
my $WRONG = '400|authentication_error|An error occurred during authentication process';
sub basic { 'Basic ' . encode_base64("$_[0]:$_[1]", '') }
sub try_login {
    my ($prefix, $user, $pass) = @_;
    return csc_call('v1', 'auth/login', {}, authorization => basic($user, $pass), prefix => $prefix);
}

# --- wrong passwords per user name
my ($r, $j);
my @seen = map { error_is(try_login('/limit/csc', 'hugo', "wrong-$_")) } 1 .. 3;
ok t_cmp(join(' ', @seen), join(' ', ($WRONG) x 3), 'three wrong passwords are checked');
($r, $j) = try_login('/limit/csc', 'hugo', 'wrong-4');
ok t_cmp(error_is($r, $j), $TOO_MANY, 'the fourth is refused unchecked');
ok t_op($r->header('Retry-After') // 0, '>=', 1, 'with Retry-After');
ok t_op($r->header('Retry-After') // 99, '<=', 20, 'of at most one share of the minute');
($r, $j) = try_login('/limit/csc', 'hugo', 'hugo-secret');
ok t_cmp(error_is($r, $j), $TOO_MANY, 'so is the right password, until the minute has room');
($r, $j) = try_login('/limit/csc', 'gina', 'gina-secret');
ok t_cmp($r->code, 200, 'another user from the same address logs in');
my @ok = map { (try_login('/limit/csc', 'gina', 'gina-secret'))[0]->code } 1 .. 5;
ok t_cmp("@ok", '200 200 200 200 200', 'right passwords are not counted');

# 12 parallel guesses for one user name: 3 are checked
{
    my (undef, undef, @answers) = race(12, sub { try_login('/limit/csc', 'erin', "guess-$_[0]") });
    my $checked = grep { /authentication_error/ } @answers;
    my $refused = grep { /^429 .*temporarily_unavailable/ } @answers;
    ok t_op("$checked/$refused", 'eq', '3/9', 'of 12 parallel guesses 3 are checked, 9 refused')
        or print STDERR map { "# $_\n" } @answers;
}
# an unknown user name is counted like a known one
@seen = map { error_is(try_login('/limit/csc', 'no-such-user', "x$_")) } 1 .. 4;
ok t_cmp($seen[3], $TOO_MANY, 'guessing at an unknown user is throttled the same way');
ok t_cmp(join(' ', @seen[0 .. 2]), join(' ', ($WRONG) x 3), 'after the same three answers');

# --- online OTPs per user (CSCOTPLimit 2)
{
    my $erin = login('v1', 'erin', 'erin-secret');
    my @codes = map { (csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'}, token => $erin,
                                prefix => '/limit/csc'))[0]->code } 1 .. 3;
    ok t_cmp("@codes", '204 204 429', 'a third OTP within the minute is refused');
    my $gina = login('v1', 'gina', 'gina-secret');
    ($r, $j) = csc_call('v1', 'credentials/sendOTP', {credentialID => 'erin-online'}, token => $gina, prefix => '/limit/csc');
    ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID',
             "another user's OTP is not throttled on erin's account, and not hers to send");
}

# --- calls per client address (CSCClientLimit 5 on /climit/csc)
{
    my @codes = map { (try_login('/climit/csc', 'gina', 'gina-secret'))[0]->code } 1 .. 5;
    ok t_cmp("@codes", '200 200 200 200 200', 'five logins from one address');
    ($r, $j) = try_login('/climit/csc', 'bob', 'bob-secret');
    ok t_cmp(error_is($r, $j), $TOO_MANY, 'the sixth, of any user, is refused');
    ($r, $j) = csc_call('v1', 'auth/login', {refresh_token => 'x' x 60}, prefix => '/climit/csc');
    ok t_cmp(error_is($r, $j), $TOO_MANY, 'refresh logins count too');
    ($r, $j) = try_login('/csc', 'bob', 'bob-secret');
    ok t_cmp($r->code, 200, 'a location without the limit is not affected');
    ok t_true(!grep(/Too many/, map { $_ // '' } $j->{error_description}), 'and says nothing of it', $j);
}

# --- an unknown user name costs the time of a wrong password (/timing/csc)
{
    my (@wrong, @unknown);
    # An unknown user waits for the server's running average of password
    # checks (1/8 weight per check, of every location): first let it
    # follow this machine's load now, not the other tests' history
    try_login('/timing/csc', 'gina', "warm-$_") for 1 .. 16;
    for my $i (1 .. 15) {
        my $t0 = time;
        try_login('/timing/csc', 'gina', "wrong-$i");
        push @wrong, time - $t0;
        $t0 = time;
        try_login('/timing/csc', "unknown-user-$i", "wrong-$i");
        push @unknown, time - $t0;
    }
    my $median = sub { my @s = sort { $a <=> $b } @_; $s[$#s / 2] };
    my ($w, $u) = ($median->(@wrong), $median->(@unknown));
    ok t_op($u, '>=', 0.6 * $w, sprintf('unknown user (%.1f ms) is not faster than a wrong password (%.1f ms)',
                                        1000 * $u, 1000 * $w));
    ok t_op($u, '<=', 3 * $w + 0.05, sprintf('nor much slower (%.1f ms vs %.1f ms)', 1000 * $u, 1000 * $w));
    ($r, $j) = try_login('/timing/csc', 'unknown-user-x', 'pw');
    ok t_cmp(error_is($r, $j), $WRONG, 'and gets the same answer');
}
