%% relbuild_ctl: the control script's helper, run on a short-lived node.
%%
%% bin/<name> starts it with the release's start_clean boot and calls
%% relbuild_ctl:main/0; the command and its arguments come from -extra.
%% It talks to the release's node (ping, stop, pid, wait, restart, and
%% eval_on: the program the control script has the node evaluate, when
%% it cannot reach the node with erl_call) or runs code on its own fresh
%% node (eval, command).  Exit status: 0 success, 1 failure (the reason
%% on stderr), 2 usage.
%%
%% A node that talks to the release's node accepts no connection
%% (-dist_listen false) and was started with -nocookie: its cookie comes
%% from RELEASE_COOKIE in its environment, never from its command line.
-module(relbuild_ctl).
-export([main/0]).

main() ->
    case {node(), os:getenv("RELEASE_COOKIE")} of
        {nonode@nohost, _} -> ok;
        {_, false} -> ok;
        {_, ""} -> ok;
        {_, Cookie} -> erlang:set_cookie(node(), list_to_atom(Cookie))
    end,
    Status = try run(init:get_plain_arguments())
             catch Class:Reason:Stack ->
                 err("~ts", [format_error(erlang, Class, Reason, Stack)]),
                 1
             end,
    halt(Status).

run(["ping", Node]) ->
    case ping(Node) of
        pong -> out("pong~n"), 0;
        pang -> err("node ~ts is not responding to pings", [Node]), 1
    end;
run(["wait", Node, Seconds]) ->
    Deadline = erlang:monotonic_time(millisecond) + list_to_integer(Seconds) * 1000,
    wait(Node, Deadline);
run(["restart", Node]) ->
    with_node(Node, fun(N) ->
        true = erlang:monitor_node(N, true),
        ok = rpc:call(N, init, restart, []),
        receive {nodedown, N} -> ok after 60000 -> ok end,
        Deadline = erlang:monotonic_time(millisecond) + 60000,
        case wait(atom_to_list(N), Deadline) of
            0 -> out("ok~n"), 0;
            Status -> Status
        end
    end);
run(["stop", Node]) ->
    with_node(Node, fun(N) ->
        _ = rpc:call(N, init, stop, []),
        wait_down(N, 60),
        out("ok~n"),
        0
    end);
run(["pid", Node]) ->
    with_node(Node, fun(N) ->
        case rpc:call(N, os, getpid, []) of
            {badrpc, R} -> err("rpc failed: ~tp", [R]), 1;
            Pid -> out("~ts~n", [Pid]), 0
        end
    end);
%% The control script's program (rpc, hot upgrades: see node_program in
%% bin/<name>) read from stdin and evaluated on the node, its output
%% coming here as rpc's does.  3: the node does not answer.
run(["eval_on", Node]) ->
    case ping(Node) of
        pang -> 3;
        pong ->
            Program = read_stdin(open_port({fd, 0, 1}, [in, binary, eof]), []),
            case rpc:call(list_to_atom(Node), erl_eval, eval_str, [Program], infinity) of
                {ok, _} -> 0;
                {error, Text} -> err("~ts", [Text]), 1;
                {badrpc, _} -> 0
            end
    end;
run(["eval", Lang, Expr]) ->
    local_eval(list_to_atom(Lang), Expr);
run(["command", Lang, Mod, Fun | Args]) ->
    L = list_to_atom(Lang),
    start_elixir(L),
    try erlang:apply(list_to_atom(Mod), list_to_atom(Fun), [parse_arg(A) || A <- Args]) of
        _ -> 0
    catch Class:Reason:Stack ->
        err("~ts", [format_error(L, Class, Reason, Stack)]),
        1
    end;
%% config/runtime.exs, shipped as releases/<vsn>/runtime.exs and read
%% at every boot as mix release reads it: evaluated by Config.Reader for
%% the environment the release was built for, merged over the rendered
%% sys.config, which is replaced.
run(["runtime_config", Exs, SysConfig, Env]) ->
    start_elixir(elixir),
    {ok, [Terms]} = file:consult(SysConfig),
    {Files, Apps} = lists:partition(fun is_list/1, Terms),
    Opts = [{env, list_to_atom(Env)}, {target, host}, {imports, disabled}],
    try 'Elixir.Config.Reader':'read!'(unicode:characters_to_binary(Exs), Opts) of
        Runtime ->
            Merged = Files ++ 'Elixir.Config.Reader':merge(Apps, Runtime),
            write_config(Exs, SysConfig, Merged)
    catch Class:Reason:Stack ->
        err("~ts: ~ts", [Exs, format_error(elixir, Class, Reason, Stack)]),
        1
    end;
run(["releases_file", Root, RelFile]) ->
    %% The first RELEASES of a root, made before the node boots.
    case code:which(release_handler) of
        non_existing -> 0;
        _ ->
            RelDir = filename:join(Root, "releases"),
            case release_handler:create_RELEASES(Root, RelDir, RelFile,
                                                 lib_dirs(RelFile, Root)) of
                ok -> 0;
                {error, Reason} ->
                    err("cannot create ~ts: ~ts",
                        [filename:join(RelDir, "RELEASES"),
                         io_lib:format("~10000tP", [Reason, 40])]),
                    1
            end
    end;
%% A hot upgrade's tarball checked on the server, where relbuild may not
%% be: SigFile must be the Ed25519 signature of MsgFile by the public
%% key in PemFile (as relbuild keygen and openssl write it).  CryptoEbin
%% is where the crypto application is, when the release lacks it.
run(["verify_sig", CryptoEbin, PemFile, MsgFile, SigFile]) ->
    true = code:add_patha(CryptoEbin),
    {ok, Pem} = file:read_file(PemFile),
    {ok, Msg} = file:read_file(MsgFile),
    {ok, Sig} = file:read_file(SigFile),
    case ed25519_public_key(Pem) of
        error ->
            err("~ts is not an Ed25519 public key (PEM)", [PemFile]),
            1;
        {ok, Pub} ->
            try crypto:verify(eddsa, none, Msg, Sig, [Pub, ed25519]) of
                true -> 0;
                false -> err("~ts: the signature does not verify", [SigFile]), 1
            catch Class:Reason:Stack ->
                err("cannot check the signature with crypto: ~ts",
                    [format_error(erlang, Class, Reason, Stack)]),
                1
            end
    end;
run(["describe", RelFile, Root, Node]) ->
    {ok, [{release, {Name, Vsn}, {erts, Erts}, Apps}]} = file:consult(RelFile),
    out("name:    ~ts~nversion: ~ts~nerts:    ~ts~nroot:    ~ts~nnode:    ~ts~n",
        [Name, Vsn, Erts, Root, Node]),
    out("applications:~n"),
    [out("  ~ts ~ts ~ts~n", [element(1, A), element(2, A), start_type(A)]) || A <- Apps],
    0;
run(Args) ->
    err("relbuild_ctl: bad arguments ~tp", [Args]),
    2.

%% The raw key of a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) for Ed25519:
%% the DER is a fixed 12-byte header (OID 1.3.101.112) and 32 bytes.
%% Decoded here with base64 (stdlib) rather than public_key:pem_decode/1,
%% which a release rarely ships.
ed25519_public_key(Pem) ->
    Prefix = <<16#30, 16#2a, 16#30, 16#05, 16#06, 16#03, 16#2b, 16#65, 16#70,
               16#03, 16#21, 16#00>>,
    Lines = [string:trim(L) || L <- string:split(Pem, "\n", all)],
    Body = lists:takewhile(fun(L) -> L =/= <<"-----END PUBLIC KEY-----">> end,
                           tl(lists:dropwhile(
                                fun(L) -> L =/= <<"-----BEGIN PUBLIC KEY-----">> end,
                                Lines ++ [<<"-----BEGIN PUBLIC KEY-----">>]))),
    try base64:decode(iolist_to_binary(Body)) of
        <<Prefix:12/binary, Pub:32/binary>> -> {ok, Pub};
        _ -> error
    catch _:_ -> error
    end.

start_type({_, _}) -> permanent;
start_type({_, _, Type}) when is_atom(Type) -> Type;
start_type({_, _, _IncApps}) -> permanent;
start_type({_, _, Type, _IncApps}) -> Type.

ping(Node) ->
    net_adm:ping(list_to_atom(Node)).

%% Where each application of RelFile lives: ROOT/lib when it is there
%% (the release's own copy, even when the runtime is the system's),
%% else wherever this node's code path has it.
lib_dirs(RelFile, Root) ->
    {ok, [{release, _, _, Apps}]} = file:consult(RelFile),
    Lib = filename:join(Root, "lib"),
    [{element(1, A), element(2, A), Lib} || A <- Apps,
     filelib:is_dir(filename:join(Lib, lists:concat([element(1, A), "-", element(2, A)])))].

with_node(Node, Fun) ->
    case ping(Node) of
        pong -> Fun(list_to_atom(Node));
        pang -> err("node ~ts is not running", [Node]), 1
    end.

%% Up means booted: init has run the whole boot script, so the
%% release's applications are started.
wait(Node, Deadline) ->
    Up = ping(Node) =:= pong andalso
         element(1, rpc:call(list_to_atom(Node), init, get_status, [])) =:= started,
    case Up of
        true -> 0;
        false ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true -> err("node ~ts did not answer a ping in time", [Node]), 1;
                false -> timer:sleep(200), wait(Node, Deadline)
            end
    end.

wait_down(_Node, 0) -> ok;
wait_down(Node, N) ->
    case net_adm:ping(Node) of
        pang -> ok;
        pong -> timer:sleep(250), wait_down(Node, N - 1)
    end.

%% An argument of "MOD FUN ARGS…": an Erlang term when it parses as
%% one, else the text as a binary.
parse_arg(Text) ->
    case erl_scan:string(Text ++ ".") of
        {ok, Tokens, _} ->
            case erl_parse:parse_term(Tokens) of
                {ok, Term} -> Term;
                _ -> unicode:characters_to_binary(Text)
            end;
        _ -> unicode:characters_to_binary(Text)
    end.

local_eval(elixir, Expr) ->
    start_elixir(elixir),
    try 'Elixir.Code':eval_string(unicode:characters_to_binary(Expr)) of
        {Value, _} -> out("~ts~n", ['Elixir.Kernel':inspect(Value)]), 0
    catch Class:Reason:Stack ->
        err("~ts", [format_error(elixir, Class, Reason, Stack)]),
        1
    end;
local_eval(erlang, Expr) ->
    try erl_eval:exprs(parse_erlang(Expr), []) of
        {value, Value, _} -> out("~tp~n", [Value]), 0
    catch Class:Reason:Stack ->
        err("~ts", [format_error(erlang, Class, Reason, Stack)]),
        1
    end.

parse_erlang(Expr) ->
    Text = string:trim(Expr, trailing, " \t\n."),
    case erl_scan:string(Text ++ ".") of
        {ok, Tokens, _} ->
            case erl_parse:parse_exprs(Tokens) of
                {ok, Exprs} -> Exprs;
                {error, {_, Mod, Desc}} -> erlang:error({syntax, Mod:format_error(Desc)})
            end;
        {error, {_, Mod, Desc}, _} -> erlang:error({syntax, Mod:format_error(Desc)})
    end.

%% Config as a sys.config, written beside it and renamed over it; a
%% value no sys.config can hold (a function, a pid) is an error.
write_config(Exs, SysConfig, Config) ->
    Text = unicode:characters_to_binary(io_lib:format("~tp.~n", [Config])),
    case erl_scan:string(unicode:characters_to_list(Text)) of
        {ok, Tokens, _} when Tokens =/= [] ->
            case erl_parse:parse_term(Tokens) of
                {ok, Config} ->
                    Tmp = SysConfig ++ ".tmp",
                    ok = file:write_file(Tmp, [<<"%% coding: utf-8\n">>, Text]),
                    ok = file:rename(Tmp, SysConfig),
                    0;
                _ -> unwritable(Exs)
            end;
        _ -> unwritable(Exs)
    end.

unwritable(Exs) ->
    err("~ts: the configuration holds values a sys.config cannot "
        "(functions, pids, references?)", [Exs]),
    1.

start_elixir(elixir) -> {ok, _} = application:ensure_all_started(elixir), ok;
start_elixir(erlang) -> ok.

format_error(elixir, Class, Reason, Stack) ->
    try 'Elixir.Exception':format(Class, Reason, Stack)
    catch _:_ -> format_error(erlang, Class, Reason, Stack)
    end;
format_error(erlang, error, {syntax, Text}, _) ->
    io_lib:format("syntax error: ~ts", [Text]);
format_error(erlang, Class, Reason, Stack) ->
    io_lib:format("~tp: ~tp~n~tp", [Class, Reason, Stack]).

read_stdin(Port, Acc) ->
    receive
        {Port, {data, Data}} -> read_stdin(Port, [Acc, Data]);
        {Port, eof} -> iolist_to_binary(Acc)
    end.

out(Fmt) -> io:format(Fmt).
out(Fmt, Args) -> io:format(Fmt, Args).
err(Fmt, Args) -> io:format(standard_error, Fmt ++ "~n", Args).
