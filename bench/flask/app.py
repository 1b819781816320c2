# A stand-in for the Flask + gunicorn service this one replaces, for `npm run bench:capacity --
# --app-image` only (bench/flask/README.md): its code is not in this repository, so this is a
# reconstruction from what is known of it (docs/architecture.md, "Taking over the Flask
# service's database"): the same routes, its schema (users; visits with timestamp, endpoint,
# ip_address), a visit INSERT and commit in every request, statistics by COUNT(*) over the
# visits, one database connection per worker shared by all its requests, and the Redis counter.
# What it does not reconstruct: its faults on bad input (irrelevant to throughput).
import os
import platform
from datetime import datetime, timezone

import psycopg2
import redis
from flask import Flask, g, jsonify, request

app = Flask(__name__)
SERVICE = os.environ.get('SERVICE_NAME', 'flask-service')
_db = None
_cache = redis.Redis.from_url(os.environ.get('REDIS_URL', 'redis://127.0.0.1:6379'))


def db():
    global _db
    if _db is None or _db.closed:
        _db = psycopg2.connect(os.environ['DATABASE_URL'])
        with _db.cursor() as cur:
            cur.execute('CREATE TABLE IF NOT EXISTS users (id SERIAL PRIMARY KEY, username VARCHAR(100) UNIQUE NOT NULL, created_at TIMESTAMP DEFAULT now())')
            cur.execute('CREATE TABLE IF NOT EXISTS visits (id SERIAL PRIMARY KEY, timestamp TIMESTAMP DEFAULT now(), endpoint VARCHAR(255), ip_address VARCHAR(45))')
        _db.commit()
    return _db


@app.before_request
def record_visit():
    if request.path.startswith('/health'):
        return
    conn = db()
    with conn.cursor() as cur:
        cur.execute('INSERT INTO visits (timestamp, endpoint, ip_address) VALUES (%s, %s, %s)', (datetime.now(timezone.utc), request.path, request.headers.get('X-Forwarded-For', request.remote_addr)))
    conn.commit()


@app.get('/')
def welcome():
    return jsonify(message=f'Welcome to {SERVICE}', service=SERVICE, timestamp=datetime.now(timezone.utc).isoformat())


@app.get('/health')
def health():
    with db().cursor() as cur:
        cur.execute('SELECT 1')
    _cache.ping()
    return jsonify(status='healthy', database='connected', redis='connected')


@app.get('/api/stats')
def stats():
    with db().cursor() as cur:
        cur.execute('SELECT COUNT(*) FROM visits')
        total = cur.fetchone()[0]
        cur.execute('SELECT endpoint, COUNT(*) FROM visits GROUP BY endpoint')
        endpoints = [{'endpoint': e, 'visits': n} for e, n in cur.fetchall()]
    return jsonify(total_visits=total, endpoints=endpoints)


@app.get('/api/cache-test')
def cache_test():
    counter = _cache.incr('cache_test_counter')
    _cache.expire('cache_test_counter', 3600)
    return jsonify(counter=counter)


@app.get('/api/users')
def users():
    with db().cursor() as cur:
        cur.execute('SELECT id, username, created_at FROM users ORDER BY id LIMIT 10')
        rows = cur.fetchall()
    return jsonify([{'id': i, 'username': u, 'created_at': c.isoformat() if c else None} for i, u, c in rows])


@app.get('/api/info')
def info():
    return jsonify(service=SERVICE, python=platform.python_version())
