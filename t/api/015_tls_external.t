# SPDX-License-Identifier: Apache-2.0
# External authentication: a TLS client certificate verified by mod_ssl,
# whose CN becomes the user (SSLUserName); mod_csc trusts it for
# auth/login and for direct calls.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use CSC::Test;

plan tests => 8;

my $fx = Apache::Test::vars('serverroot') . '/fixtures';
my $port = Apache::Test::vars('csc_tls_port') or die 'no csc_tls vhost';
my $base = "https://localhost:$port/cert/csc";

sub curl {
    my ($path, $body, @opt) = @_;
    my $out = `curl -s -w '\\n%{http_code}' --cacert $fx/tls-cert.pem @opt -H 'Content-Type: application/json' -d '$body' $base/$path 2>&1`;
    my ($content, $code) = $out =~ /^(.*)\n(\d+)$/s;
    return ($code // 0, eval { CSC::Test::JSON()->decode($content) }, $content);
}
my @cert = ("--cert $fx/client-alice.pem", "--key $fx/client-alice.key");

my ($code, $j) = curl('v1/info', '{}', @cert);
ok t_cmp($code, 200, 'info over TLS with a client certificate');
ok t_cmp(join(',', @{$j->{authType}}), 'TLS', 'authType TLS');
($code, $j) = curl('v1/auth/login', '{}', @cert);
ok t_cmp($code, 200, 'auth/login trusts the certificate user');
my $token = $j->{access_token};
CSC::Test::remember_secrets(undef, $j);
my ($r, $lj) = csc_call('v1', 'credentials/list', {}, token => $token);
ok t_cmp($lj->{credentialIDs}[0], 'alice-ec', "the token is alice's, usable on the plain location too");
($code, $j) = curl('v1/credentials/list', '{"maxResults":1}', @cert);
ok t_cmp($code, 200, 'a direct call with the certificate and no token');
ok t_cmp(join(',', @{$j->{credentialIDs}}), 'alice-ec', "acts as alice");
($code, $j) = curl('v2/credentials/info', '{"credentialID":"bob-rsa"}', @cert);
ok t_cmp(($j->{error_description} // ''), 'Invalid parameter credentialID', "the certificate user cannot see bob's credential");
my $content;
($code, $j, $content) = curl('v1/info', '{}');
if (($ENV{CSC_SERVER} // '') eq 'nginx') {
    # nginx completes the handshake and refuses the request (its 496),
    # in the CSC error shape
    ok t_cmp("$code " . error_is_json($j), '400 invalid_request', 'without a client certificate: a JSON 400')
        or print STDERR "# $content\n";
}
else {
    ok t_cmp($code, '000', 'without a client certificate the TLS handshake is refused');
}
sub error_is_json { my ($e) = @_; return ref $e eq 'HASH' ? ($e->{error} // '-') : 'not-json' }
