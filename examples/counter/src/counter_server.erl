-module(counter_server).
-behaviour(gen_server).
%% The module's version, which code_change/3 sees: OldVsn on an upgrade,
%% {down, Vsn} on a downgrade.  Without it, it is an MD5 of the code.
-vsn("0.1.0").

%% The state is a bare integer in 0.1.0.  A later version may change its
%% shape; code_change/3 is where a hot upgrade converts it.

-export([start_link/0, increment/0, get/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2,
         terminate/2, code_change/3]).

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% Add one to the count and return the new value.
increment() ->
    gen_server:call(?MODULE, increment).

get() ->
    gen_server:call(?MODULE, get).

init([]) ->
    {ok, 0}.

handle_call(increment, _From, Count) ->
    {reply, Count + 1, Count + 1};
handle_call(get, _From, Count) ->
    {reply, Count, Count};
handle_call(_Request, _From, Count) ->
    {reply, {error, unknown_call}, Count}.

handle_cast(_Msg, Count) ->
    {noreply, Count}.

handle_info(_Info, Count) ->
    {noreply, Count}.

terminate(_Reason, _Count) ->
    ok.

code_change(_OldVsn, Count, _Extra) ->
    {ok, Count}.
