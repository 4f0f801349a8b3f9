# SPDX-License-Identifier: Apache-2.0
package CSC::OAuth2;
# Helpers for the authorization-server tests: a browser-like walk through
# authorize, the sign-in and consent forms, and form posts to the
# back-channel endpoints.  Redirects are never followed: the tests read
# Location themselves.
use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use LWP::UserAgent ();
use HTTP::Request::Common ();
use MIME::Base64 qw(encode_base64 encode_base64url);
use Digest::SHA qw(sha256);
use URI ();
use URI::Escape qw(uri_escape);
use Apache::TestRequest ();
use CSC::Test;

our @EXPORT = qw(oa_get oa_post basic pkce hidden_fields cookie_of
                 query_of authorize_code form_query oa_base);

my $ua = LWP::UserAgent->new(max_redirect => 0, keep_alive => 0,
                             timeout => 30);

sub oa_base { 'http://' . Apache::TestRequest::hostport() }

sub form_query {
    my (%f) = @_;
    return join '&', map { uri_escape($_) . '=' . uri_escape($f{$_}) }
                     grep { defined $f{$_} } sort keys %f;
}

sub oa_get {
    my ($path, @h) = @_;
    return $ua->get(oa_base() . $path, @h);
}

# POST a form (a hash ref, or raw text) to path; extra headers after.
sub oa_post {
    my ($path, $form, @h) = @_;
    my $body = ref $form ? form_query(%$form) : $form;
    my %h = @h;
    my $ct = exists $h{'Content-Type'} ? delete $h{'Content-Type'}
                                        : 'application/x-www-form-urlencoded';
    my $req = HTTP::Request->new(POST => oa_base() . $path);
    $req->header('Content-Type' => $ct) if defined $ct;
    $req->header($_ => $h{$_}) for keys %h;
    $req->content($body);
    my $r = $ua->request($req);
    my $j = CSC::Test::json($r);
    if (ref $j eq 'HASH') {
        open my $fh, '>>', Apache::Test::vars('t_logs') . '/secrets-seen';
        # (no hash slice: grep would create the missing members)
        print $fh "$_\n" for grep { defined } map { $j->{$_} } qw(access_token refresh_token);
        close $fh;
    }
    return ($r, $j);
}

sub basic {
    my ($id, $secret) = @_;
    return (Authorization => 'Basic ' . encode_base64("$id:$secret", ''));
}

sub pkce {
    my $verifier = encode_base64url(join '', map { chr int rand 256 } 1 .. 32);
    return ($verifier, encode_base64url(sha256($verifier)));
}

sub hidden_fields {
    my ($html) = @_;
    my %f;
    while ($html =~ /<input type="hidden" name="(\w+)" value="([^"]*)">/g) {
        $f{$1} = $2;
    }
    return \%f;
}

sub cookie_of {
    my ($r) = @_;
    my $c = $r->header('Set-Cookie') // '';
    return $c =~ /^(csc_oauth2=[^;]+)/ ? $1 : undef;
}

sub query_of {
    my ($location) = @_;
    my %q = URI->new($location)->query_form;
    return \%q;
}

# Walks the whole front channel: authorize -> sign-in -> consent.
# Returns (the consent answer, its Location's query) or dies saying where
# it stopped.
sub authorize_code {
    my (%o) = @_;
    my $base = $o{base} // '/oa/csc';
    my %q = (response_type => 'code', client_id => $o{client_id},
             redirect_uri => $o{redirect_uri}, scope => 'service',
             state => $o{state} // 'st-' . int rand 1e9,
             %{$o{extra} || {}});
    $q{code_challenge} = $o{challenge}, $q{code_challenge_method} = 'S256'
        if $o{challenge};
    my $r = oa_get("$base/oauth2/authorize?" . form_query(%q));
    die 'authorize: ' . $r->code . ' ' . $r->content unless $r->code == 200;
    my $cookie = cookie_of($r);
    my $f = hidden_fields($r->content);
    my ($l) = oa_post("$base/oauth2/login",
                      {%$f, username => $o{user}, password => $o{password}},
                      Cookie => $cookie);
    die 'login: ' . $l->code . ' ' . $l->content
        unless $l->code == 200 && $l->content =~ /name="decision"/;
    $f = hidden_fields($l->content);
    my ($c) = oa_post("$base/oauth2/consent",
                      {%$f, decision => $o{decision} // 'approve'},
                      Cookie => $cookie);
    die 'consent: ' . $c->code . ' ' . $c->content unless $c->code == 302;
    return ($c, query_of($c->header('Location')));
}

1;
