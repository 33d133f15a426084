"""Where the CPU of POST /api/v1/inquiries/ goes, in process (issue 12 point 2): cProfile with a CPU clock.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/nakama_scale   # after generate_scale_data
    python bench/inquiry_profile.py [--posts 200] [--out inquiry.prof] [--show PATTERN ...]

Runs the app's whole handler (middleware, DRF, the choke point) through Django's test client, as in
bench/inquiry_http_bench.py but without gunicorn. Prints CPU ms a request without the profiler, then, with it, the
functions matching each --show pattern (regular expressions on "file:line(function)") with their callees, in
profiled CPU ms a request (the profiler inflates them; compare them with each other). Time waiting for PostgreSQL is
not counted (process_time clock). Each POST is a real 情報照会.
"""

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from bench.inquiry_http_bench import _payloads_and_token  # noqa: E402

DEFAULT_SHOW = [r"core/handlers/base.py:\d+\(_get_response", r"rest_framework/views.py:\d+\(dispatch",
                r"api/views/exchanges.py:\d+\(post", r"exchanges/inquiries.py:\d+\(send_inquiry"]


def _name(key) -> str:
    return f"{key[0].split('site-packages/')[-1].replace(str(ROOT) + '/', '')}:{key[1]}({key[2]})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--out", default="")
    parser.add_argument("--show", nargs="*", default=DEFAULT_SHOW)
    args = parser.parse_args()
    payloads, token = _payloads_and_token(1)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    body = json.dumps(payloads[0])

    def post(n: int) -> None:
        for _ in range(n):
            response = client.post("/api/v1/inquiries/", body, content_type="application/json")
            assert response.status_code == 201, response.content

    post(20)  # warm: imports, catalogue, compiled and prepared queries
    cpu0 = time.process_time()
    post(args.posts)
    print(f"CPU ms a request, no profiler: {1000 * (time.process_time() - cpu0) / args.posts:.2f}")
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    post(args.posts)
    profiler.disable()
    if args.out:
        profiler.dump_stats(args.out)
    stats = pstats.Stats(profiler)
    stats.calc_callees()
    for key, (_, _, own, cumulative, _) in stats.stats.items():
        if not any(re.search(p, _name(key)) for p in args.show):
            continue
        print(f"\n{_name(key)}  {1000 * cumulative / args.posts:.2f} ms a request (own {1000 * own / args.posts:.2f})")
        for callee, row in sorted(stats.all_callees[key].items(), key=lambda item: -item[1][3]):
            if 1000 * row[3] / args.posts >= 0.03:
                print(f"    {1000 * row[3] / args.posts:6.2f}  {_name(callee)}")


if __name__ == "__main__":
    main()
