# SPDX-License-Identifier: Apache-2.0
# signatures/signHash end to end through SoftHSM2: every algorithm and
# curve, v1 and v2, batches, and each signature verified with openssl
# against the public key of the credential's certificate.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64 decode_base64);
use lib 't/lib';
use CSC::Test;

plan tests => 66;

my $frank = login('v1', 'frank', 'frank-secret');
my %oid = (sha256 => '2.16.840.1.101.3.4.2.1', sha384 => '2.16.840.1.101.3.4.2.2',
           sha512 => '2.16.840.1.101.3.4.2.3');
my %cert;
sub cert_of {
    my ($id) = @_;
    $cert{$id} //= do {
        my ($r, $j) = csc_call('v1', 'credentials/info', {credentialID => $id}, token => $frank);
        $j->{cert}{certificates}[0];
    };
}
sub b64 { encode_base64($_[0], '') }

# the DER RSASSA-PSS-params for a hash with MGF1 of the same hash and a
# salt as long as the digest
sub pss_params {
    my ($md) = @_;
    my %alg = (sha256 => '608648016503040201', sha384 => '608648016503040202',
               sha512 => '608648016503040203');
    my $hashalg = '300d0609' . $alg{$md} . '0500';
    my $mgf = '301a06092a864886f70d010108' . $hashalg;   # MGF1 with that hash
    my $salt = { sha256 => 32, sha384 => 48, sha512 => 64 }->{$md};
    my $body = 'a00f' . $hashalg . 'a11c' . $mgf . 'a203' . sprintf('0201%02x', $salt);
    my $der = '30' . sprintf('%02x', length($body) / 2) . $body;
    return pack 'H*', $der;
}

# authorize n signatures (implicit credentials: no factors) and sign
sub sign {
    my (%a) = @_;   # ver, id, md, signAlgo, mode, count, hashAlgo (bool), params
    my $ver = $a{ver};
    my @digests = map { CSC::Test::random_digest($a{md}) } 1 .. ($a{count} // 1);
    my ($r, $j) = csc_call($ver, 'credentials/authorize',
        {credentialID => $a{id}, numSignatures => scalar @digests}, token => $frank);
    return ("authorize failed: " . error_is($r, $j)) unless $r->code == 200;
    my %body = (credentialID => $a{id}, SAD => $j->{SAD}, signAlgo => $a{signAlgo});
    $body{$ver eq 'v1' ? 'hash' : 'hashes'} = [map { b64($_) } @digests];
    $body{$ver eq 'v1' ? 'hashAlgo' : 'hashAlgorithmOID'} = $oid{$a{md}} if $a{hashAlgo};
    $body{signAlgoParams} = b64(pss_params($a{md})) if $a{mode} eq 'pss';
    $body{operationMode} = 'S' if $ver eq 'v2';
    ($r, $j) = csc_call($ver, 'signatures/signHash', \%body, token => $frank);
    return ("signHash failed: " . error_is($r, $j)) unless $r->code == 200;
    return ("wrong number of signatures") unless @{$j->{signatures}} == @digests;
    my $salt = { sha256 => 32, sha384 => 48, sha512 => 64 }->{$a{md}};
    for my $i (0 .. $#digests) {
        CSC::Test::verify_signature(cert_b64 => cert_of($a{id}), digest => $digests[$i],
            sig => decode_base64($j->{signatures}[$i]), md => $a{md}, mode => $a{mode}, salt => $salt)
            or return "signature $i does not verify";
    }
    return 'ok';
}

my @cases = (
    # id, md, signAlgo, mode, hashAlgo needed
    ['frank-rsa2048', 'sha256', '1.2.840.113549.1.1.11', 'pkcs1', 0],
    ['frank-rsa2048', 'sha384', '1.2.840.113549.1.1.12', 'pkcs1', 0],
    ['frank-rsa2048', 'sha512', '1.2.840.113549.1.1.13', 'pkcs1', 0],
    ['frank-rsa2048', 'sha256', '1.2.840.113549.1.1.1',  'pkcs1', 1],
    ['frank-rsa2048', 'sha512', '1.2.840.113549.1.1.1',  'pkcs1', 1],
    ['frank-rsa2048', 'sha256', '1.2.840.113549.1.1.10', 'pss',   0],
    ['frank-rsa2048', 'sha384', '1.2.840.113549.1.1.10', 'pss',   1],
    ['frank-rsa3072', 'sha256', '1.2.840.113549.1.1.11', 'pkcs1', 0],
    ['frank-rsa3072', 'sha512', '1.2.840.113549.1.1.10', 'pss',   0],
    ['frank-rsa4096', 'sha384', '1.2.840.113549.1.1.12', 'pkcs1', 0],
    ['frank-rsa4096', 'sha256', '1.2.840.113549.1.1.10', 'pss',   0],
    ['frank-p256',    'sha256', '1.2.840.10045.4.3.2',   'ecdsa', 0],
    ['frank-p256',    'sha384', '1.2.840.10045.4.3.3',   'ecdsa', 0],
    ['frank-p256',    'sha256', '1.2.840.10045.2.1',     'ecdsa', 1],
    ['frank-p384',    'sha384', '1.2.840.10045.4.3.3',   'ecdsa', 0],
    ['frank-p384',    'sha512', '1.2.840.10045.4.3.4',   'ecdsa', 0],
    ['frank-p521',    'sha512', '1.2.840.10045.4.3.4',   'ecdsa', 0],
    ['frank-p521',    'sha256', '1.2.840.10045.4.3.2',   'ecdsa', 0],
);
for my $ver ('v1', 'v2') {
    for my $c (@cases) {
        my ($id, $md, $alg, $mode, $needs) = @$c;
        ok t_cmp(sign(ver => $ver, id => $id, md => $md, signAlgo => $alg, mode => $mode,
                      hashAlgo => $needs || $ver eq 'v2'),
                 'ok', "$ver $id $alg $md: signed and verified");
    }
}
# pyHanko always sends hashAlgo, even when the signAlgo implies it
ok t_cmp(sign(ver => 'v1', id => 'frank-rsa2048', md => 'sha256', signAlgo => '1.2.840.113549.1.1.11',
              mode => 'pkcs1', hashAlgo => 1), 'ok', 'hashAlgo sent although implied');
# batches: 32 hashes in one request, signatures in request order
ok t_cmp(sign(ver => 'v1', id => 'frank-rsa2048', md => 'sha256', signAlgo => '1.2.840.113549.1.1.11',
              mode => 'pkcs1', count => 32), 'ok', 'batch of 32, RSA');
ok t_cmp(sign(ver => 'v2', id => 'frank-p256', md => 'sha256', signAlgo => '1.2.840.10045.4.3.2',
              mode => 'ecdsa', count => 32, hashAlgo => 1), 'ok', 'batch of 32, ECDSA, v2');

# --- errors
my @d = map { b64(CSC::Test::random_digest('sha256')) } 1 .. 2;
my ($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-rsa2048', numSignatures => 2}, token => $frank);
my $sad = $j->{SAD};
sub sh { my ($ver, %b) = @_; csc_call($ver, 'signatures/signHash', {credentialID => 'frank-rsa2048', SAD => $sad, %b}, token => $frank) }
my %ok = (hash => [$d[0]], signAlgo => '1.2.840.113549.1.1.11');
($r, $j) = sh('v1', %ok, SAD => undef);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter SAD', 'no SAD');
($r, $j) = sh('v1', %ok, SAD => 'not-a-sad');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', 'unknown SAD');
($r, $j) = sh('v1', %ok, hash => undef);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) array parameter hash', 'no hash');
($r, $j) = sh('v2', hashes => 'abc', signAlgo => '1.2.840.113549.1.1.11');
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) array parameter hash', 'v2 hashes not an array');
($r, $j) = sh('v1', %ok, hash => []);
ok t_cmp(error_is($r, $j), '400|invalid_request|Empty hash array', 'empty hash array');
($r, $j) = sh('v1', %ok, hash => ['%%%']);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid Base64 hash string parameter', 'bad base64');
($r, $j) = sh('v1', %ok, hash => [b64('short')]);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid digest value length', 'wrong digest length');
($r, $j) = sh('v1', %ok, signAlgo => undef);
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter signAlgo', 'no signAlgo');
($r, $j) = sh('v1', %ok, signAlgo => '1.2.840.10045.4.3.2');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter signAlgo', 'ECDSA with an RSA key');
($r, $j) = sh('v1', %ok, signAlgo => '1.2.840.113549.1.1.5');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter signAlgo', 'sha1WithRSA refused');
($r, $j) = sh('v1', %ok, signAlgo => '1.2.840.113549.1.1.1');
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter hashAlgo', 'rsaEncryption without hashAlgo (v1)');
($r, $j) = sh('v2', hashes => [$d[0]], signAlgo => '1.2.840.113549.1.1.1');
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter hashAlgorithmOID', 'rsaEncryption without hashAlgorithmOID (v2)');
($r, $j) = sh('v1', %ok, hashAlgo => '2.16.840.1.101.3.4.2.3');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter hashAlgo', 'hashAlgo contradicts signAlgo');
($r, $j) = sh('v1', %ok, signAlgo => '1.2.840.113549.1.1.10');
ok t_cmp(error_is($r, $j), '400|invalid_request|Missing (or invalid type) string parameter signAlgoParams', 'PSS without params');
($r, $j) = sh('v1', %ok, signAlgo => '1.2.840.113549.1.1.10', signAlgoParams => b64('garbage'));
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter signAlgoParams', 'PSS with bad params');
# a salt too long for the key (RSA-2048 and SHA-256 allow 222 bytes) is the
# client's error, not the server's
my $long_salt = pack 'H*', '3035a00f300d06096086480165030402010500a11c301a06092a864886f70d010108'
                         . '300d06096086480165030402010500a204020200df';
($r, $j) = sh('v1', %ok, signAlgo => '1.2.840.113549.1.1.10', signAlgoParams => b64($long_salt));
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter signAlgoParams', 'PSS salt of 223 bytes for RSA-2048: 400');
($r, $j) = sh('v2', hashes => [$d[0]], signAlgo => '1.2.840.113549.1.1.11', operationMode => 'A');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter operationMode', 'asynchronous mode not offered');
($r, $j) = sh('v1', %ok, clientData => ['x']);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter clientData', 'clientData not a string');
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-rsa2048', SAD => $sad, %ok}, authorization => 'Basic x');
ok t_cmp(error_is($r, $j), '400|invalid_request|The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.', 'v1 non-Bearer');
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'alice-rsa', SAD => $sad, %ok}, token => $frank);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID', "someone else's credential");
# the SAD was issued for frank-rsa2048: another credential of frank's cannot use it
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-rsa3072', SAD => $sad, %ok}, token => $frank);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', 'SAD bound to its credential');
# none of the failures above spent the SAD: both signatures are still there
($r, $j) = sh('v1', hash => [@d], signAlgo => '1.2.840.113549.1.1.11');
ok t_cmp($r->code, 200, 'the SAD signs its two hashes after all those refusals');
($r, $j) = sh('v1', hash => [$d[0]], signAlgo => '1.2.840.113549.1.1.11');
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter SAD', 'an exhausted SAD');

# a SAD is the user's: another user's token cannot use it
my $alice = login('v1', 'alice', 'alice-secret');
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-rsa2048', numSignatures => 1}, token => $frank);
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-rsa2048', SAD => $j->{SAD}, %ok}, token => $alice);
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID', "alice cannot use frank's SAD");

# an expired certificate
($r, $j) = csc_call('v1', 'credentials/authorize', {credentialID => 'frank-expired', numSignatures => 1}, token => $frank);
($r, $j) = csc_call('v1', 'signatures/signHash', {credentialID => 'frank-expired', SAD => $j->{SAD},
    hash => [$d[0]], signAlgo => '1.2.840.10045.4.3.2'}, token => $frank);
ok t_cmp(error_is($r, $j), "400|invalid_request|Signing certificate 'O=Frank Corp,CN=Frank Expired' is expired.", 'v1 expired certificate');
($r, $j) = csc_call('v2', 'credentials/authorize', {credentialID => 'frank-expired', numSignatures => 1}, token => $frank);
($r, $j) = csc_call('v2', 'signatures/signHash', {credentialID => 'frank-expired', SAD => $j->{SAD},
    hashes => [$d[0]], hashAlgorithmOID => $oid{sha256}, signAlgo => '1.2.840.10045.4.3.2'}, token => $frank);
ok t_cmp(error_is($r, $j), '400|invalid_request|Signing certificate is expired', 'v2 expired certificate');

# batch above multisign (32)
my @many = map { b64(CSC::Test::random_digest('sha256')) } 1 .. 33;
($r, $j) = sh('v1', hash => [@many], signAlgo => '1.2.840.113549.1.1.11');
ok t_cmp(error_is($r, $j), '400|invalid_request|Numbers of signatures is too high', 'batch above multisign');
