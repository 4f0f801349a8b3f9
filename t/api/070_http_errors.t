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

plan tests => 26;

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
ok t_cmp($r->header('Allow'), 'GET, POST', 'info allows GET and POST');
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
