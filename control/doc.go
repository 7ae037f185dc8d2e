// Package control is the local control API of an aura-p2p daemon: a unix
// socket in the data directory through which the CLI (status, authority,
// device commands) talks to the running node. The server lives in the
// daemon (a node.Service); the client in cmd/aura-p2p.
//
// # Transport
//
// The socket is <data dir>/control.sock (SocketPath). It is bound with
// umask 0177, so it exists with mode 0600 from the first instant; only
// the data directory's owner can connect. The server refuses to start
// when the data directory is group- or world-writable (ErrUnsafeDataDir),
// when another server answers on the socket (ErrAlreadyRunning), or when
// a non-socket file sits at the path. A socket left by a crashed daemon
// (connect refused) is removed and replaced. Close removes the socket.
// Socket paths are limited to 103 bytes (bind(2)); a longer data dir path
// is refused with a message. `aura-p2p run --control=false` disables it.
//
// # Protocol
//
// One request per connection. The client connects, writes one JSON line
// and keeps its side open until it has read the one response line; the
// server then closes. Closing the connection early (or sending more)
// cancels the handler's ctx.
//
//	-> {"method":"authority.show","params":{"authority_id":"00112233445566778899aabbccddeeff"}}
//	<- {"result":{...}}
//	<- {"error":{"code":"not_member","message":"..."}}
//
// Requests are decoded strictly (DecodeRequest): only the fields method
// and params; method is 1..64 bytes of [a-z0-9_.-]; params absent or null
// give the handler the zero value; unknown params fields are refused. A
// request line is at most 64 KiB (DefaultMaxRequestBytes) and must arrive
// within 5 s (Config.ReadTimeout). The client reads at most 4 MiB of
// response.
//
// # Error codes
//
//	not_member       ErrNotMember       this device is not a member of the authority
//	below_threshold  ErrBelowThreshold  fewer than the policy threshold M devices took part
//	device_offline   ErrDeviceOffline   a needed device stayed silent past its timeout
//	bad_request      ErrBadRequest      malformed/oversized/late request, invalid params
//	unknown_method   ErrUnknownMethod   no handler registered (e.g. the authority service
//	                                    is not in this build yet)
//	internal         ErrInternal        anything else (the message is the handler error)
//
// Handlers return errors wrapping the sentinels (fmt.Errorf("...: %w",
// control.ErrNotMember)), or the wiring maps a service's own sentinels
// with Server.MapError(tree.ErrX, control.ErrNotMember). On the client a
// refusal is an *Error whose errors.Is matches the same sentinel.
//
// # Methods
//
//	node.status       params none                       result Status: peer_id, listen_addrs,
//	                                                    connected_peers, routing_table_size,
//	                                                    dht_server, joined, join_peers, uptime_ms
//	authority.create  AuthorityCreateParams {}           AuthorityCreateResult {authority_id, device_id}
//	authority.show    AuthorityShowParams {authority_id?} the service's JSON view of the tree state
//	authority.policy  AuthorityPolicyParams {authority_id?, threshold}
//	device.invite     DeviceInviteParams {authority_id?, expiry_ms?}  DeviceInviteResult {code, expires_at_ms}
//	device.join       DeviceJoinParams {code}            DeviceJoinResult {authority_id, device_id}
//	device.remove     DeviceRemoveParams {authority_id?, device_id}
//	authority.rotate  AuthorityRotateParams {authority_id?}
//
// authority.policy, authority.rotate and device.remove answer a
// CeremonyResult {authority_id, epoch, key_epoch, root, cid, path, dkg_ms,
// consensus_ms, total_ms}; device.join adds it as "ceremony".
//
// Ids are lowercase hex (AuthorityId and DeviceId: 32 digits, SPEC §2).
// node.status is built in (NewService); the authority and device methods
// are answered unknown_method until the authority service registers them.
//
// # Usage
//
// Daemon side (cmd/aura-p2p controlService):
//
//	svc := control.NewService(control.Config{DataDir: dir}, func(srv *control.Server, env node.Env) error {
//		srv.MapError(tree.ErrNotAMember, control.ErrNotMember)
//		return control.Register(srv, control.MethodAuthorityShow, authority.Show)
//	})
//	cfg.Services = append(cfg.Services, svc) // last: built after, closed before the services it calls
//
// Client side:
//
//	c, err := control.Dial(dir) // ErrNotRunning if no socket
//	var st control.Status
//	err = c.Call(ctx, control.MethodNodeStatus, nil, &st)
//
// Scope: transport, framing, dispatch, error codes and the method
// catalogue. Not here: the authority logic (journal/tree and its service)
// and any remote access (the API is local only; no TCP listener).
//
// Layering (STYLE.md §1b): cmd/aura-p2p → control → node. control imports
// node for Env and ServiceFunc; node does not import control.
//
// # Invariants
//
//   - The socket is mode 0600 from creation even under umask 0, and the
//     process umask is restored (server_test.go TestSocketMode0600).
//   - A group/world-writable data dir or a non-socket at the path is
//     refused and nothing is created or removed (TestUnsafeDataDirRefused,
//     TestNonSocketAtPathRefused).
//   - A second server refuses while the first answers; a stale socket is
//     replaced (TestSecondServerRefused, TestStaleSocketRecovered).
//   - Bad input gets a bad_request answer, never a panic: oversize
//     (TestOversizedRequest), malformed (TestMalformedRequests), late
//     (TestReadDeadline); DecodeRequest/DecodeResponse never panic and
//     round-trip (fuzz_test.go FuzzDecodeRequest, FuzzDecodeResponse).
//   - Every sentinel round-trips: the client's error matches exactly the
//     sentinel the handler wrapped or MapError named; a panicking handler
//     is internal (TestTypedErrorsRoundTrip); an unregistered method is
//     unknown_method naming it (TestUnknownMethod).
//   - A client hanging up cancels its handler; Close cancels running
//     handlers, waits for every goroutine and removes the socket
//     (TestClientHangupCancelsHandler, TestCloseCancelsRunningHandler,
//     TestCloseRemovesSocketAndIsIdempotent).
//   - node.status reports the running node's identity and addresses
//     (status_test.go TestNodeStatus); mounts register handlers and error
//     mappings (TestMountRegistersHandlers).
//
// Goroutines: Start spawns one accept loop; each connection gets one
// goroutine (at most Config.MaxConns at once) plus, while its handler
// runs, one hang-up watcher. All are owned by the Server and awaited by
// Close. Handlers run on their connection's goroutine, concurrently with
// each other; the handler registry (mutex-guarded) is the only shared
// state.
package control
