# SPDX-License-Identifier: Apache-2.0
# credentials/list and credentials/info, v1 and v2: the caller's own
# credentials only, paging, certificates none/single/chain, certInfo,
# authInfo, key algorithms, and the exact errors.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(decode_base64);
use lib 't/lib';
use CSC::Test;

plan tests => 57;

my $alice = login('v1', 'alice', 'alice-secret');
my $bob = login('v2', 'bob', 'bob-secret');

# --- list, v1 paging over alice's 12 credentials (page size 10)
my ($r, $j) = csc_call('v1', 'credentials/list', {}, token => $alice);
ok t_cmp($r->code, 200, 'list 200');
ok t_cmp(scalar @{$j->{credentialIDs}}, 10, 'first page has the default 10');
ok t_cmp($j->{credentialIDs}[0], 'alice-ec', 'ordered by id');
ok t_true(defined $j->{nextPageToken} && length $j->{nextPageToken}, 'next page token', $j);
my @all = @{$j->{credentialIDs}};
($r, $j) = csc_call('v1', 'credentials/list', {pageToken => $j->{nextPageToken}}, token => $alice);
push @all, @{$j->{credentialIDs}};
ok t_cmp(scalar @{$j->{credentialIDs}}, 2, 'second page has the rest');
ok t_absent($j, 'nextPageToken', 'no token on the last page');
ok t_cmp(scalar(grep { /^alice-/ } @all), 12, 'all twelve, all alice\'s');
($r, $j) = csc_call('v1', 'credentials/list', {maxResults => 3}, token => $alice);
ok t_cmp(join(',', @{$j->{credentialIDs}}), 'alice-ec,alice-extra-01,alice-extra-02', 'maxResults 3');
($r, $j) = csc_call('v1', 'credentials/list', {maxResults => 1000}, token => $alice);
ok t_cmp(scalar @{$j->{credentialIDs}}, 10, 'too large maxResults gives the default page');
($r, $j) = csc_call('v1', 'credentials/list', {pageToken => 'garbage!'}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter pageToken', 'bad pageToken');
($r, $j) = csc_call('v1', 'credentials/list', {userID => 'bob'}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|userID parameter MUST be null', 'userID refused');
($r, $j) = csc_call('v1', 'credentials/list', {}, token => $bob);
ok t_cmp(join(',', @{$j->{credentialIDs}}), 'bob-rsa', 'bob sees only his');
($r, $j) = csc_call('v1', 'credentials/list', {}, authorization => 'Token abc');
ok t_cmp(error_is($r, $j), '400|invalid_request|The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.', 'v1 list with a non-Bearer header');
($r, $j) = csc_call('v2', 'credentials/list', {}, authorization => 'Token abc');
ok t_cmp(error_is($r, $j), '400|invalid_request|Malformed authorization header', 'v2 list with a non-Bearer header');
($r, $j) = csc_call('v2', 'credentials/list', {});
ok t_cmp(error_is($r, $j), '401|invalid_token|The access token is missing', 'no token at all');

# --- v2 list with credentialInfo
($r, $j) = csc_call('v2', 'credentials/list', {credentialInfo => JSON::PP::true, certificates => 'chain',
                                               certInfo => JSON::PP::true, authInfo => JSON::PP::true,
                                               onlyValid => JSON::PP::true}, token => $alice);
ok t_cmp($r->code, 200, 'v2 list with credentialInfo');
ok t_cmp(scalar @{$j->{credentialInfos}}, scalar @{$j->{credentialIDs}}, 'one info per id');
ok t_not_member($j->{credentialIDs}, 'alice-extra-10', 'onlyValid drops the disabled credential');
ok t_cmp($j->{credentialInfos}[0]{credentialID}, $j->{credentialIDs}[0], 'infos carry credentialID');
ok t_cmp(scalar @{$j->{credentialInfos}[0]{cert}{certificates}}, 2, 'chain: end-entity and CA');
ok t_true(JSON::PP::is_bool($j->{onlyValid}) && $j->{onlyValid}, 'onlyValid echoed', $j->{onlyValid});
($r, $j) = csc_call('v2', 'credentials/list', {credentialInfo => JSON::PP::true, certificates => 'all'}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter certificates', 'v2 list bad certificates');

# --- info v1, RSA
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'alice-rsa', certificates => 'chain',
                                               certInfo => JSON::PP::true, authInfo => JSON::PP::true}, token => $alice);
ok t_cmp($r->code, 200, 'info 200');
ok t_cmp($j->{description}, "Alice's RSA signing key", 'description');
ok t_cmp($j->{key}{status}, 'enabled', 'key status');
ok t_cmp($j->{key}{len}, 2048, 'key length');
ok t_absent($j->{key}, 'curve', 'no curve for RSA');
ok t_cmp(join(',', @{$j->{key}{algo}}),
         '1.2.840.113549.1.1.11,1.2.840.113549.1.1.12,1.2.840.113549.1.1.13,1.2.840.113549.1.1.10,1.2.840.113549.1.1.1',
         'hash-specific RSA algorithms first');
ok t_cmp($j->{cert}{status}, 'valid', 'certificate valid');
ok t_cmp(scalar @{$j->{cert}{certificates}}, 2, 'chain of two');
my $ee = `printf '%s' '$j->{cert}{certificates}[0]' | base64 -d | openssl x509 -inform DER -noout -subject -nameopt RFC2253 2>&1`;
ok t_cmp($ee, qr/CN=Alice Example/, 'first certificate is the signer (openssl reads it)');
ok t_cmp($j->{cert}{subjectDN}, 'CN=Alice Example,O=Example Corp,C=BE', 'subjectDN RFC 4514 (most specific first)');
ok t_cmp($j->{cert}{issuerDN}, 'CN=mod_csc Test CA,O=mod_csc tests,C=BE', 'issuerDN');
ok t_cmp($j->{cert}{serialNumber}, qr/^[0-9A-F]+$/, 'serial in hex');
ok t_cmp($j->{cert}{validFrom}, qr/^\d{14}Z$/, 'validFrom GeneralizedTime');
ok t_cmp($j->{cert}{validTo}, qr/^\d{14}Z$/, 'validTo GeneralizedTime');
my $serial = `printf '%s' '$j->{cert}{certificates}[0]' | base64 -d | openssl x509 -inform DER -noout -serial`;
ok t_cmp("serial=$j->{cert}{serialNumber}\n", $serial, 'serial matches the certificate');
ok t_cmp($j->{multisign}, 5, 'multisign');
ok t_cmp($j->{SCAL}, '1', 'SCAL 1');
ok t_cmp($j->{authMode}, 'implicit', 'no factors yet: implicit');
ok t_cmp($j->{lang}, 'en-US', 'lang');

# --- info v2, EC, defaults (certificates single, no certInfo)
($r, $j) = csc_call('v2', 'credentials/info', {credentialID => 'alice-ec'}, token => $alice);
ok t_cmp($r->code, 200, 'v2 info');
ok t_cmp($j->{key}{curve}, '1.2.840.10045.3.1.7', 'P-256 curve OID');
ok t_cmp($j->{key}{len}, 256, 'EC length');
ok t_cmp($j->{key}{algo}[0], '1.2.840.10045.4.3.2', 'ecdsa-with-SHA256 first');
ok t_cmp(scalar @{$j->{cert}{certificates}}, 1, 'single by default');
ok t_absent($j->{cert}, 'subjectDN', 'no certInfo by default');
ok t_cmp($j->{SCAL}, '2', 'SCAL 2');
ok t_cmp($j->{auth}{mode}, 'explicit', 'v2 auth object always present');
($r, $j) = csc_call('v2', 'credentials/info', {credentialID => 'carol-ec', certificates => 'none'}, token => scalar(login('v2', 'carol', 'carol-secret')));
ok t_cmp($j->{key}{curve}, '1.3.132.0.34', 'P-384 curve');
ok t_absent($j->{cert}, 'certificates', 'certificates none');

# --- info errors
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'bob-rsa'}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID', "another user's credential is unknown");
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'no-such'}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID', 'unknown credential');
($r, $j) = csc_call('v1', 'credentials/info', {}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter credentialID', 'missing credentialID');
($r, $j) = csc_call('v2', 'credentials/info', {credentialID => 7}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter credentialID', 'credentialID not a string');
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'alice-rsa', certificates => 'some'}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter certificates', 'bad certificates');
($r, $j) = csc_call('v1', 'credentials/info', {credentialID => 'alice-extra-10'}, token => $alice);
ok t_cmp($j->{key}{status}, 'disabled', 'a disabled credential says so');
