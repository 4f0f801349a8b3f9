# SPDX-License-Identifier: Apache-2.0
# info, v1 and v2: complete, truthful, GET and POST.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET);
use lib 't/lib';
use CSC::Test;

plan tests => 31;

my ($r, $j) = csc_call('v1', 'info', {});
ok t_cmp($r->code, 200, 'v1 info 200');
ok t_cmp($r->header('Content-Type'), qr{^application/json}, 'v1 info is JSON');
ok t_cmp($j->{specs}, '1.0.4.0', 'v1 specs');
ok t_cmp($j->{name}, 'mod_csc test service', 'name from CSCServiceName');
ok t_cmp($j->{region}, 'BE', 'region from CSCServiceRegion');
ok t_cmp($j->{logo}, 'https://localhost/logo.png', 'logo');
ok t_cmp($j->{lang}, 'en-US', 'default lang');
ok t_cmp(length $j->{description} > 0, 1, 'description present');
ok t_cmp(join(',', @{$j->{authType}}), 'basic', 'authType is what is configured');
my %m = map { $_ => 1 } @{$j->{methods}};
for my $want (qw(info auth/login auth/revoke credentials/list credentials/info)) {
    ok t_cmp($m{$want} // 0, 1, "v1 methods lists $want");
}
ok t_cmp($m{'signatures/signDoc'} // 0, 0, 'v1 methods does not list signDoc');
ok t_absent($j, 'signAlgorithms', 'v1 has no v2 members');

($r, $j) = csc_call('v2', 'info', {lang => 'de-DE'});
ok t_cmp($r->code, 200, 'v2 info 200');
ok t_cmp($j->{specs}, '2.0.0.2', 'v2 specs');
ok t_cmp($j->{lang}, 'en-US', 'unsupported lang answered in the service language');
ok t_cmp(ref $j->{signAlgorithms}{algos}, 'ARRAY', 'v2 signAlgorithms.algos');
my %algos = map { $_ => 1 } @{$j->{signAlgorithms}{algos}};
ok t_cmp($algos{'1.2.840.113549.1.1.11'} // 0, 1, 'sha256WithRSAEncryption advertised');
ok t_cmp($algos{'1.2.840.10045.4.3.2'} // 0, 1, 'ecdsa-with-SHA256 advertised');
ok t_cmp(ref $j->{signature_formats}{formats}, 'ARRAY', 'v2 signature_formats.formats');
ok t_cmp(ref $j->{conformance_levels}, 'ARRAY', 'v2 conformance_levels');
ok t_true(JSON::PP::is_bool($j->{asynchronousOperationMode}) && !$j->{asynchronousOperationMode},
         'asynchronous mode is not offered', $j->{asynchronousOperationMode});

$r = GET '/csc/v1/info';
$j = json($r);
ok t_cmp($r->code, 200, 'GET info is accepted');
ok t_cmp($j->{specs}, '1.0.4.0', 'GET info body');

# the location trusting another module advertises "external"
($r, $j) = csc_call('v1', 'info', {}, prefix => '/ext/csc',
                    authorization => 'Basic ' . MIME::Base64::encode_base64(
                        fixture()->{users}{alice}{login} . ':' . fixture()->{users}{alice}{password}, ''));
ok t_cmp(join(',', @{$j->{authType}}), 'external', 'external location authType');

# info takes no token and ignores unknown members
($r, $j) = csc_call('v2', 'info', {somethingNew => [1, 2]});
ok t_cmp($r->code, 200, 'unknown members ignored');

($r, $j) = csc_call('v1', 'info', {lang => 5});
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter lang',
         'lang of the wrong type');
($r, $j) = csc_call('v1', 'info', {clientData => {a => 1}});
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter clientData', 'clientData must be a string');
