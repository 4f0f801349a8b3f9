# SPDX-License-Identifier: Apache-2.0
package CSC::OTP;
# RFC 4226 HOTP and RFC 6238 TOTP in plain Perl (Digest::SHA is core), so
# the tests compute codes independently of liboath.
use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use Digest::SHA qw(hmac_sha1 hmac_sha256 hmac_sha512);
use Apache::Test ();

our @EXPORT_OK = qw(hotp totp base32_decode last_sent);

sub base32_decode {
    my ($s) = @_;
    $s =~ tr/a-z/A-Z/;
    $s =~ s/[=\s]//g;
    my $bits = join '', map {
        sprintf '%05b', index('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', $_)
    } split //, $s;
    $bits = substr($bits, 0, length($bits) - length($bits) % 8);
    return pack 'B*', $bits;
}

sub hotp {
    my ($secret_b32, $counter, $digits, $hash) = @_;
    $hash //= 'sha1';
    my $key = base32_decode($secret_b32);
    my $msg = pack 'NN', int($counter / 4294967296), $counter % 4294967296;
    my %f = (sha1 => \&hmac_sha1, sha256 => \&hmac_sha256, sha512 => \&hmac_sha512);
    my $mac = $f{$hash}->($msg, $key);
    my $off = ord(substr($mac, -1)) & 0x0f;
    my $bin = unpack('N', substr($mac, $off, 4)) & 0x7fffffff;
    return sprintf "%0${digits}d", $bin % (10 ** $digits);
}

sub totp {
    my ($secret_b32, $time, $period, $digits, $hash) = @_;
    return hotp($secret_b32, int($time / $period), $digits, $hash);
}

# The code the CSCOTPDelivery file: mechanism received last for a credential.
sub last_sent {
    my ($id) = @_;
    my $path = Apache::Test::vars('serverroot') . '/fixtures/otp-delivery.log';
    open my $fh, '<', $path or return undef;
    my $code;
    while (<$fh>) {
        my ($user, $cred, $c) = split;
        $code = $c if $cred eq $id;
    }
    return $code;
}

1;
