%% relbuild_ctl: the control script's helper, run on a short-lived node.
%%
%% bin/<name> starts it with the release's start_clean boot and calls
%% relbuild_ctl:main/0; the command and its arguments come from -extra.
%% It talks to the release's node (ping, stop, pid, rpc, wait) or runs
%% code on its own fresh node (eval, command).  Exit status: 0 success,
%% 1 failure (the reason on stderr), 2 usage.
-module(relbuild_ctl).
-export([main/0]).

main() ->
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
run(["rpc", Node, Lang, Expr]) ->
    with_node(Node, fun(N) -> remote_eval(N, list_to_atom(Lang), Expr) end);
run(["rpc", Node, Lang, Mod, Fun | Args]) ->
    with_node(Node, fun(N) ->
        Res = rpc:call(N, list_to_atom(Mod), list_to_atom(Fun),
                       [parse_arg(A) || A <- Args], infinity),
        show_rpc(N, list_to_atom(Lang), Res)
    end);
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

start_type({_, _}) -> permanent;
start_type({_, _, Type}) when is_atom(Type) -> Type;
start_type({_, _, _IncApps}) -> permanent;
start_type({_, _, Type, _IncApps}) -> Type.

ping(Node) ->
    net_adm:ping(list_to_atom(Node)).

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

remote_eval(Node, elixir, Expr) ->
    Res = rpc:call(Node, 'Elixir.Code', eval_string,
                   [unicode:characters_to_binary(Expr)], infinity),
    case Res of
        {badrpc, _} = Bad -> show_rpc(Node, elixir, Bad);
        {Value, _Binding} -> show_rpc(Node, elixir, Value)
    end;
remote_eval(Node, erlang, Expr) ->
    Exprs = parse_erlang(Expr),
    case rpc:call(Node, erl_eval, exprs, [Exprs, []], infinity) of
        {value, Value, _} -> show_rpc(Node, erlang, Value);
        Other -> show_rpc(Node, erlang, Other)
    end.

show_rpc(_Node, Lang, {badrpc, {'EXIT', {Reason, Stack}}}) ->
    err("~ts", [format_error(Lang, error, Reason, Stack)]),
    1;
show_rpc(_Node, _Lang, {badrpc, Reason}) ->
    err("rpc failed: ~tp", [Reason]),
    1;
show_rpc(Node, elixir, Value) ->
    case rpc:call(Node, 'Elixir.Kernel', inspect, [Value]) of
        Bin when is_binary(Bin) -> out("~ts~n", [Bin]);
        _ -> out("~tp~n", [Value])
    end,
    0;
show_rpc(_Node, erlang, Value) ->
    out("~tp~n", [Value]),
    0.

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

out(Fmt) -> io:format(Fmt).
out(Fmt, Args) -> io:format(Fmt, Args).
err(Fmt, Args) -> io:format(standard_error, Fmt ++ "~n", Args).
