"""/api/sim/: the simulated world over HTTP, so an outside client can replay 別紙3 from an empty database.

Off unless settings.NAKAMA_SIM_API (checked on every request: 404 while off). It needs no staff token — it stands
for the world outside the insurer (municipalities, persons, their cards, マイナポータル) — and creates staff tokens, so
every call carries the simulation key (settings.NAKAMA_SIM_KEY) in the X-Nakama-Sim-Key header (403 otherwise).

One module per part of that world: `world` (institutions, staff, persons and their enrolment), `peers` (other
institutions' servers and the 情報提供NWS), `portal` (cards, proxies and マイナポータル); `base` is what they share.
"""
