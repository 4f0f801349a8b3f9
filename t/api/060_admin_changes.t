# SPDX-License-Identifier: Apache-2.0
# What csc-admin changes in the store, the running module sees at once:
# a new credential, a PIN rotation, disable/enable, delete.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use File::Temp qw(tempdir);
use MIME::Base64 qw(encode_base64);
use lib 't/lib';
use CSC::Test;

plan tests => 13;

my $bob = login('v1', 'bob', 'bob-secret');
my $root = Apache::Test::vars('serverroot');
my $ca = "--ca-key=$root/fixtures/ca.key";

CSC::Test::admin('create', '--id', 'bob-new', '--owner', 'bob', '--generate', 'ec:P-256',
                 '--token-label', 'csc-test', '--subject', 'CN=Bob New,C=BE',
                 '--ca-key', "$root/fixtures/ca.key", '--ca-cert', "$root/fixtures/ca.pem");
my ($r, $j) = csc_call('v1', 'credentials/list', {}, token => $bob);
ok t_cmp(join(',', @{$j->{credentialIDs}}), 'bob-new,bob-rsa', 'a credential created by csc-admin is listed at once');

my $dir = tempdir(CLEANUP => 1);
sub pin_file { my ($p) = @_; open my $fh, '>', "$dir/pin" or die; print $fh "$p\n"; close $fh; "$dir/pin" }
CSC::Test::admin('set-pin', '--id', 'bob-new', '--pin-file', pin_file('112233'));
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'bob-new', authInfo => JSON::PP::true}, token => $bob);
ok t_cmp("$j->{authMode} $j->{PIN}{presence}", 'explicit true', 'the new PIN policy shows in info');
sub sign_with {
    my ($pin) = @_;
    my ($r1, $j1) = csc_call('v1', 'credentials/authorize', {credentialID => 'bob-new', numSignatures => 1,
                                                             PIN => $pin}, token => $bob);
    return error_is($r1, $j1) unless $r1->code == 200;
    my ($r2, $j2) = csc_call('v1', 'signatures/signHash', {credentialID => 'bob-new', SAD => $j1->{SAD},
        signAlgo => '1.2.840.10045.4.3.2', hash => [encode_base64(CSC::Test::random_digest('sha256'), '')]},
        token => $bob);
    return $r2->code == 200 ? 'signed' : error_is($r2, $j2);
}
ok t_cmp(sign_with('112233'), 'signed', 'the new credential signs with its PIN');

CSC::Test::admin('set-pin', '--id', 'bob-new', '--pin-file', pin_file('445566'));
ok t_cmp(sign_with('112233'), '400|invalid_pin|The PIN is invalid', 'after a PIN rotation the old PIN is refused');
ok t_cmp(sign_with('445566'), 'signed', 'and the new one works');

CSC::Test::admin('disable', 'bob-new');
ok t_cmp(sign_with('445566'), '400|invalid_request|The credential identified by credentialID is disabled', 'disabled at once');
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'bob-new'}, token => $bob);
ok t_cmp($j->{key}{status}, 'disabled', 'info says disabled');
CSC::Test::admin('enable', 'bob-new');
ok t_cmp(sign_with('445566'), 'signed', 'enabled again');

my $shown = CSC::Test::admin('show', 'bob-new');
ok t_unlike($shown, qr/445566|112233|pbkdf2/, 'csc-admin show reveals neither PIN nor hash');
ok t_cmp($shown, qr/bob-new/, 'show names the credential');

CSC::Test::admin('delete', 'bob-new', '--delete-key');
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'bob-new'}, token => $bob);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID', 'deleted: unknown at once');
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $bob);
ok t_cmp(join(',', @{$j->{credentialIDs}}), 'bob-rsa', 'and gone from the list');
my $list = CSC::Test::admin('list', '--owner', 'bob');
ok t_unlike($list, qr/bob-new/, 'csc-admin list agrees');
