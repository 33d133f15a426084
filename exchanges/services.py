"""The simulated 情報提供NWS and the one way to send, answer and hide an exchange (the choke point), by concept:

- exchanges.inquiries: send_inquiry (our insurer asks; renewal ①, fails closed) and receive_inquiry (a peer asks).
- exchanges.answering: the record being decided, coded by both sides' settings and answered (別紙1 ①③, ※2).
- exchanges.manual_responses: approve_manual_response / decline_manual_response (the 情報提供内容入力画面).
- exchanges.append_requests: file_append_request, 追記依頼 NWS processes later (exchanges.nws).
- exchanges.peers: register_peer_replica, the simulated data peer institutions answer from.
- exchanges.errors: the fail-closed errors (nothing sent when a check could not be completed).

This module names them all for the pages, API, admin, commands and tests that import them from here.
"""

from exchanges.append_requests import AppendRequestExists, file_append_request
from exchanges.errors import ExchangeNotSent, InquiryNotSent, ProvisionNotSent
from exchanges.inquiries import (
    InquiryRequest,
    check_inquiry,
    decide_inquiry,
    receive_inquiry,
    resolve_subject,
    send_inquiry,
)
from exchanges.manual_responses import approve_manual_response, decline_manual_response
from exchanges.peers import register_peer_replica

__all__ = [
    "AppendRequestExists",
    "ExchangeNotSent",
    "InquiryNotSent",
    "InquiryRequest",
    "ProvisionNotSent",
    "approve_manual_response",
    "check_inquiry",
    "decide_inquiry",
    "decline_manual_response",
    "file_append_request",
    "receive_inquiry",
    "register_peer_replica",
    "resolve_subject",
    "send_inquiry",
]
