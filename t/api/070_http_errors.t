# SPDX-License-Identifier: Apache-2.0
# Bad input of every kind gets a JSON error with the right status, never
# an HTML page: oversized, non-JSON, too deep, wrong HTTP method, wrong
# media type, unknown method, paths outside /v1/ and /v2/.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use Apache::TestRequest qw(GET POST PUT);
use lib 't/lib';
use CSC::Test;

plan tests => 36;

my $token = login('v1', 'alice', 'alice-secret');
sub raw {
    my ($method, $path, $body, %h) = @_;
    my $r = $method eq 'GET' ? GET($path, %h)
          : $method eq 'PUT' ? PUT($path, %h, content => $body)
          : POST($path, ($h{'Content-Type'} ? () : ('Content-Type' => 'application/json')), %h,
                 content => $body);
    return ($r, json($r));
}

my ($r, $j) = raw('POST', '/csc/v1/credentials/list', '{"a":"' . ('x' x 300_000) . '"}', Authorization => "Bearer $token");
ok t_cmp(error_is($r, $j), '413|invalid_request|The request body is too large', 'oversized body: 413 JSON');
# a Content-Length over the limit with a short body: answered at once, unread
{
    require IO::Socket::INET;
    my $port = Apache::Test::vars('port');
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10) or die "connect: $!";
    print $s "POST /csc/v1/info HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
           . "Content-Length: 10000000\r\n\r\n{}";
    my ($answer, $buf) = ('', '');
    my $t0 = time;
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 10;
        while (sysread($s, $buf, 65536)) { $answer .= $buf; last if $answer =~ /\r\n\r\n.*\}/s }
        alarm 0;
    };
    my ($status) = $answer =~ m{^HTTP/1\.1 (\d+)};
    my ($body) = $answer =~ /\r\n\r\n(.*)$/s;
    ok t_cmp(($status // 'none') . ' ' . ($body // ''),
             qr/^413 \{"error":"invalid_request","error_description":"The request body is too large"\}/,
             'a declared Content-Length over the limit: 413 JSON, without waiting for the body');
}
($r, $j) = raw('POST', '/csc/v1/credentials/list', '{"credentialID":', Authorization => "Bearer $token");
ok t_cmp(error_is($r, $j), '400|invalid_request|The request body is not valid JSON', 'truncated JSON');
($r, $j) = raw('POST', '/csc/v2/info', "\xff\xfe{}");
ok t_cmp(error_is($r, $j), '400|invalid_request|The request body is not valid JSON', 'not UTF-8');
($r, $j) = raw('POST', '/csc/v1/info', ('[' x 40) . (']' x 40));
ok t_cmp(error_is($r, $j), '400|invalid_request|The request body is nested too deeply', 'nesting 40 deep');
($r, $j) = raw('POST', '/csc/v1/info', ('[' x 100000));
ok t_cmp(error_is($r, $j), '400|invalid_request|The request body is nested too deeply', '100000 open brackets: no crash');
($r, $j) = raw('POST', '/csc/v1/info', '"just a string"');
ok t_cmp(error_is($r, $j), '400|invalid_request|The request body must be a JSON object', 'a JSON string');
($r, $j) = raw('POST', '/csc/v1/info', '{"lang":"en","lang":"fr"}');
ok t_cmp($r->code, 400, 'duplicate members');
($r, $j) = raw('POST', '/csc/v1/info', "{\"lang\":\"a\\u0000b\"}");
ok t_cmp(error_is($r, $j), '400|invalid_request|The request body is not valid JSON',
         'an embedded NUL is refused (it would let two different strings compare equal)');
($r, $j) = raw('GET', '/csc/v1/signatures/signHash');
ok t_cmp(error_is($r, $j), '405|invalid_request|HTTP method not allowed', 'GET on signHash');
ok t_cmp($r->header('Allow'), 'POST', 'Allow: POST');
($r, $j) = raw('PUT', '/csc/v1/info', '{}');
ok t_cmp($r->code, 405, 'PUT on info');
ok t_cmp($r->header('Allow'), 'GET, HEAD, POST', 'info allows GET, HEAD and POST');
$r = Apache::TestRequest::HEAD('/csc/v1/info');
ok t_cmp($r->code . ' ' . ($r->header('Content-Type') // '') . ' ' . length($r->content), '200 application/json;charset=UTF-8 0',
         'HEAD on info: 200, the JSON type, no body');
$r = Apache::TestRequest::HEAD('/csc/v1/signatures/signHash');
ok t_cmp($r->code . ' ' . ($r->header('Allow') // ''), '405 POST', 'HEAD on a POST-only method: 405, Allow: POST');
($r, $j) = raw('POST', '/csc/v1/info', 'lang=en', 'Content-Type' => 'application/x-www-form-urlencoded');
ok t_cmp(error_is($r, $j), '415|invalid_request|Content-Type must be application/json', 'form body');
($r, $j) = raw('POST', '/csc/v1/info', '{}', 'Content-Type' => 'application/json; charset=utf-8');
ok t_cmp($r->code, 200, 'a charset parameter is fine');
($r, $j) = raw('POST', '/csc/v1/signatures/signDoc', '{}');
ok t_cmp(error_is($r, $j), '501|invalid_request|Method not implemented', 'v2-only signDoc under v1: 501');
($r, $j) = raw('POST', '/csc/v2/signatures/signDoc', '{}');
ok t_cmp($r->code, 501, 'signDoc (not offered) under v2: 501');
($r, $j) = raw('POST', '/csc/v2/credentials/authorizeCheck', '{}');
ok t_cmp($r->code, 501, 'authorizeCheck (no asynchronous authorization): 501');
($r, $j) = raw('POST', '/csc/v1/nothing/here', '{}');
ok t_cmp(error_is($r, $j), '501|invalid_request|Method not implemented', 'unknown method');
($r, $j) = raw('POST', '/csc/v3/info', '{}');
ok t_cmp(error_is($r, $j), '404|invalid_request|Not found', 'unknown version: JSON 404');
ok t_cmp($r->header('Content-Type'), qr{^application/json}, 'as JSON');
($r, $j) = raw('POST', '/csc/info', '{}');
ok t_cmp($r->code, 404, 'no version');
($r, $j) = raw('POST', '/csc/v1/credentials/list', '{}', Authorization => "Bearer $token extra");
ok t_cmp(error_is($r, $j), '400|invalid_request|The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.', 'Bearer with two words');
($r, $j) = raw('POST', '/csc/v1/credentials/list', '{}', Authorization => 'Bearer ' . ('A' x 5000));
ok t_cmp(error_is($r, $j), '401|invalid_token|The access token is not valid', 'a huge token');
($r, $j) = raw('POST', '/csc/v1/credentials/list', '{}', Authorization => "bearer $token");
ok t_cmp($r->code, 200, 'the scheme name is case-insensitive');
($r, $j) = raw('POST', '/csc/v1/credentials/info', '{"credentialID":"' . ('\u00e9' x 1000) . '"}', Authorization => "Bearer $token");
ok t_cmp(error_is($r, $j), '400|invalid_request|Invalid parameter credentialID', 'a long non-ASCII ID');
ok t_cmp($r->header('Cache-Control'), 'no-store', 'responses are not cached');

# errors httpd answers itself inside an API location are JSON too
sub wire {   # raw request on a socket of its own: (status, content type, body)
    my ($text) = @_;
    require IO::Socket::INET;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . Apache::Test::vars('port'), Timeout => 10)
        or die "connect: $!";
    print $s $text;
    my ($answer, $buf) = ('', '');
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 10;
        while (sysread($s, $buf, 65536)) { $answer .= $buf }
        alarm 0;
    };
    my ($head, $body) = split /\r\n\r\n/, $answer, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.1 (\d+)};
    my ($ct) = ($head // '') =~ m{^Content-Type: *([^\r\n]*)}mi;
    $body //= '';
    $body =~ s/^[0-9a-f]+\r\n(.*)\r\n0\r\n\r\n$/$1/s;   # a chunked answer
    return join ' ', $status // 'none', $ct // 'none', $body;
}
my $H = "Host: localhost\r\nConnection: close\r\n";
my $JSON_T = 'application/json;charset=UTF-8';
ok t_cmp(wire("POST /csc/v1/auth%2Flogin HTTP/1.1\r\n$H\r\n"),
         qq{404 $JSON_T {"error":"invalid_request","error_description":"Not found"}},
         'an encoded slash in the path: JSON 404');
ok t_cmp(wire("POST /csc/v2/info HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n"),
         qq{400 $JSON_T {"error":"invalid_request","error_description":"The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed."}},
         'a negative Content-Length: JSON 400');
ok t_cmp(wire("POST /csc/v1/info HTTP/1.1\r\n${H}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
         qr{^400 \Q$JSON_T\E \{"error":"invalid_request","error_description":"[^"]+"\}$},
         'a malformed chunk size: JSON 400');
ok t_cmp(wire("GET /ext/csc/v1/credentials/list HTTP/1.1\r\n$H\r\n"),
         qq{401 $JSON_T {"error":"access_denied","error_description":"Access denied"}},
         'another module refusing the caller (mod_auth_basic): JSON 401');
ok t_cmp(wire("GET /csc-tls-only%2Fx HTTP/1.1\r\n$H\r\n") =~ m{^404 text/html} ? 1 : 0, 1,
         'outside the API locations httpd answers as usual');

# the access log's cred= note names only credentials that exist and are the
# caller's, never what a client made up
my $marker = 'LOGMARK' . int(rand(1e9));
my $access = Apache::Test::vars('t_logs') . '/csc_access_log';
my $before = -s $access // 0;
($r, $j) = raw('POST', '/csc/v1/credentials/info', '{"credentialID":"' . $marker . ('x' x 5000) . '"}',
               Authorization => "Bearer $token");
($r, $j) = raw('POST', '/csc/v1/credentials/info', '{"credentialID":"bob-rsa"}', Authorization => "Bearer $token");
($r, $j) = raw('POST', '/csc/v1/credentials/info', '{"credentialID":"alice-ec"}', Authorization => "Bearer $token");
# the lines of these three requests only: each is written once its
# answer has gone out, so wait for the last one
my $log = '';
for (1 .. 50) {
    open my $fh, '<', $access or last;
    seek $fh, $before, 0;
    $log = do { local $/; <$fh> };
    last if ($log =~ tr/\n//) >= 3;
    select undef, undef, undef, 0.1;
}
ok t_unlike($log, qr/\Q$marker\E|cred=bob-rsa/, "an unknown or another user's credentialID is not logged");
ok t_cmp(($log =~ /"POST \/csc\/v1\/credentials\/info [^"]*" 200 .*cred=(alice-ec)/)[0], 'alice-ec',
         "the caller's own credential is");
