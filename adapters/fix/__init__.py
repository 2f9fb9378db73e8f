"""adapters.fix — a FIX 4.2 execution adapter whose session store is the journal.

Modules: codes (FIX constants, ClOrdIDs, decimals), store (FIX_OUT/FIX_IN records; recovery
of sequence numbers and sent messages), session (the initiator session: logon, heartbeats,
TestRequest, resend and gap fill, Reject, logout, reconnect), outbound / inbound (application
messages to and from records), venue (runs QuickFIX's ordermatch as a local test venue).
"""
