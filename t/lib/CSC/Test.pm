# SPDX-License-Identifier: Apache-2.0
package CSC::Test;
# Helpers shared by the mod_csc Apache::Test files: JSON calls, logins,
# fixture data.  JSON::PP and MIME::Base64 are core Perl.
use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use JSON::PP ();
use MIME::Base64 qw(encode_base64);
use Apache::TestRequest ();
use Apache::Test ();

our @EXPORT = qw(csc_call csc_raw login token_for json fixture
                 error_is race t_op t_true t_absent t_unlike t_member t_not_member
                 $JSON);
our $JSON = JSON::PP->new->canonical(1)->allow_nonref(1);
sub JSON { $JSON }

# fixture facts written by t/fixtures.sh
my $fixture;
sub fixture {
    unless ($fixture) {
        my $path = Apache::Test::vars('serverroot') . '/fixtures/fixture.json';
        open my $fh, '<', $path or die "no $path: $!";
        local $/;
        $fixture = $JSON->decode(<$fh>);
    }
    return $fixture;
}

# POST a CSC method with a JSON body; returns ($response, $decoded_json).
#   csc_call('v1', 'credentials/list', {..}, token => $t, prefix => '/csc')
sub csc_call {
    my ($ver, $method, $body, %opt) = @_;
    my $prefix = $opt{prefix} // '/csc';
    my @h = ('Content-Type' => 'application/json');
    push @h, Authorization => "Bearer $opt{token}" if defined $opt{token};
    push @h, Authorization => $opt{authorization} if defined $opt{authorization};
    my $content = ref $body ? $JSON->encode($body) : ($body // '');
    my $r = Apache::TestRequest::POST("$prefix/$ver/$method", @h,
                                      content => $content);
    my $j = json($r);
    remember_secrets($body, $j);
    return ($r, $j);
}

# Every secret a test sends or receives is noted, so that the last test
# can check that none of them reached a log.
sub remember_secrets {
    my ($req, $resp) = @_;
    my @s;
    if (ref $req eq 'HASH') {
        # (no hash slices here: grep would create the missing members)
        push @s, grep { defined && !ref && length >= 4 } map { $req->{$_} } qw(PIN OTP SAD refresh_token token);
        push @s, map { $_->{value} } grep { ref eq 'HASH' && defined $_->{value} } @{$req->{authData} || []};
    }
    if (ref $resp eq 'HASH') {
        push @s, grep { defined } map { $resp->{$_} } qw(access_token refresh_token SAD);
    }
    return unless @s;
    my $path = Apache::Test::vars('t_logs') . '/secrets-seen';
    open my $fh, '>>', $path or return;
    print $fh "$_\n" for @s;
    close $fh;
}

sub json {
    my ($r) = @_;
    my $ct = $r->header('Content-Type') // '';
    return undef unless $ct =~ m{^application/json};
    my $j = eval { $JSON->decode($r->content) };
    return $j;
}

# Logs in with HTTP Basic and returns the access token (dies on failure).
sub login {
    my ($ver, $user, $pass, %opt) = @_;
    my ($r, $j) = csc_call($ver, 'auth/login', $opt{body} // {},
        authorization => 'Basic ' . encode_base64("$user:$pass", ''), %opt);
    die "login $user failed: " . $r->code . ' ' . $r->content
        unless $r->code == 200;
    return wantarray ? ($j->{access_token}, $j) : $j->{access_token};
}

# Checks that say what they saw when they fail (on stderr, where prove
# shows it), for the cases t_cmp cannot compare directly.  Each returns
# true or false for ok().
sub _shown {
    my ($v) = @_;
    return 'undef' unless defined $v;
    $v = ref $v ? $JSON->encode($v) : "'$v'";
    return length $v > 300 ? substr($v, 0, 300) . '...' : $v;
}
sub _fail {
    my ($name, @what) = @_;
    print STDERR "# failed: $name\n", map { "#   $_\n" } @what;
    return 0;
}
# t_op(GOT, OP, WANT, NAME): OP one of == != < <= > >= eq ne
sub t_op {
    my ($got, $op, $want, $name) = @_;
    my %cmp = ('==' => sub { $_[0] == $_[1] }, '!=' => sub { $_[0] != $_[1] },
               '<'  => sub { $_[0] <  $_[1] }, '<=' => sub { $_[0] <= $_[1] },
               '>'  => sub { $_[0] >  $_[1] }, '>=' => sub { $_[0] >= $_[1] },
               'eq' => sub { $_[0] eq $_[1] }, 'ne' => sub { $_[0] ne $_[1] });
    die "t_op: unknown operator $op" unless $cmp{$op};
    return 1 if defined $got && defined $want && $cmp{$op}->($got, $want);
    return _fail($name, 'got: ' . _shown($got), "want: $op " . _shown($want));
}
# t_true(CONDITION, NAME, SEEN): SEEN is what to show when it is false
sub t_true {
    my ($cond, $name, $seen) = @_;
    return 1 if $cond;
    return _fail($name, 'saw: ' . _shown($seen));
}
# t_absent(HASHREF, KEY, NAME): the member is not there at all
sub t_absent {
    my ($h, $key, $name) = @_;
    return 1 if ref $h eq 'HASH' && !exists $h->{$key};
    return _fail($name, ref $h eq 'HASH' ? "$key: " . _shown($h->{$key})
                                          : 'not an object: ' . _shown($h));
}
# t_unlike(TEXT, REGEX, NAME): shows the match in its context
sub t_unlike {
    my ($text, $re, $name) = @_;
    $text //= '';
    return 1 unless $text =~ $re;
    my $at = $-[0];
    my $from = $at > 80 ? $at - 80 : 0;
    return _fail($name, "matched $re at offset $at:", substr($text, $from, 200));
}
# t_member(ARRAYREF, ITEM, NAME) and t_not_member
sub t_member {
    my ($list, $item, $name) = @_;
    return 1 if ref $list eq 'ARRAY' && grep { defined && $_ eq $item } @$list;
    return _fail($name, "'$item' not in " . _shown($list));
}
sub t_not_member {
    my ($list, $item, $name) = @_;
    return 1 if ref $list eq 'ARRAY' && !grep { defined && $_ eq $item } @$list;
    return _fail($name, "'$item' in " . _shown($list));
}

# race(N, SUB): N forked clients, each on a connection of its own, run
# SUB(i) (i from 1 to N) at the same instant; SUB returns a response.
# Returns (the number of 200 answers, the number of answers, the answers
# as "STATUS BODY" lines).
sub race {
    my ($n, $make_request) = @_;
    require Time::HiRes;
    require POSIX;
    my $start = Time::HiRes::time() + 1.0;
    my @pids;
    pipe(my $rd, my $wr) or die;
    for my $i (1 .. $n) {
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if (!$pid) {
            close $rd;
            Apache::TestRequest::user_agent(reset => 1, keep_alive => 0);
            my $wait = $start - Time::HiRes::time();
            Time::HiRes::sleep($wait) if $wait > 0;
            my ($rr) = $make_request->($i);
            my $body = $rr->content // '';
            $body =~ s/\n/ /g;
            $body = substr($body, 0, 1000);
            syswrite $wr, $rr->code . " $body\n";
            close $wr;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    close $wr;
    my @answers = map { chomp; $_ } <$rd>;
    waitpid $_, 0 for @pids;
    my $wins = grep { /^200 / } @answers;
    return ($wins, scalar(@answers), @answers);
}

# (status, error, error_description) of a response, for one-line checks.
sub error_is {
    my ($r, $j) = @_;
    return join '|', $r->code, ($j ? ($j->{error} // '-', $j->{error_description} // '-')
                                    : ('not-json', $r->content));
}

1;

package CSC::Test;
# Runs csc-admin on the main fixture store; returns its output.
sub admin {
    my @args = @_;
    my $fx = fixture();
    local $ENV{SOFTHSM2_CONF} = $fx->{softhsm2_conf};
    local $ENV{CSC_PKCS11_PIN} = $fx->{token_pin};
    my $cmd = join ' ', map { "'$_'" } $fx->{admin}, '--store', $fx->{main_store}, @args;
    my $out = `$cmd 2>&1`;
    die "csc-admin @args failed: $out" if $?;
    return $out;
}
1;

package CSC::Test;
use File::Temp qw(tempdir);
use Digest::SHA ();
use MIME::Base64 qw(decode_base64);

# Verifies a signature value with the openssl command against the public
# key of a base64 DER certificate.  $mode: pkcs1 | pss | ecdsa.
sub verify_signature {
    my (%a) = @_;   # cert_b64, digest (raw), sig (raw), md (sha256...), mode, salt
    my $d = tempdir(CLEANUP => 1);
    _write("$d/cert.der", decode_base64($a{cert_b64}));
    _write("$d/digest", $a{digest});
    _write("$d/sig", $a{sig});
    system("openssl x509 -inform DER -in $d/cert.der -pubkey -noout > $d/pub.pem 2>/dev/null") == 0
        or return 0;
    my @opt = ("-pkeyopt digest:$a{md}");
    if ($a{mode} eq 'pss') {
        push @opt, '-pkeyopt rsa_padding_mode:pss', "-pkeyopt rsa_pss_saltlen:$a{salt}",
                   "-pkeyopt rsa_mgf1_md:$a{md}";
    }
    elsif ($a{mode} eq 'pkcs1') {
        push @opt, '-pkeyopt rsa_padding_mode:pkcs1';
    }
    my $out = `openssl pkeyutl -verify -pubin -inkey $d/pub.pem -in $d/digest -sigfile $d/sig @opt 2>&1`;
    return $out =~ /Signature Verified Successfully/ ? 1 : 0;
}

sub _write {
    my ($path, $data) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $data;
    close $fh;
}

# A fresh random digest of the named algorithm (sha256, sha384, sha512).
sub random_digest {
    my ($md) = @_;
    my $data = join '', map { chr int rand 256 } 1 .. 64;
    return $md eq 'sha256' ? Digest::SHA::sha256($data)
         : $md eq 'sha384' ? Digest::SHA::sha384($data)
         : Digest::SHA::sha512($data);
}

1;

package CSC::Test;
# Runs csc-admin on any store.
sub admin_store {
    my ($store, @args) = @_;
    my $fx = fixture();
    my $cmd = join ' ', map { "'$_'" } $fx->{admin}, '--store', $store, @args;
    my $out = `$cmd 2>&1`;
    die "csc-admin @args failed: $out" if $?;
    return $out;
}
1;
