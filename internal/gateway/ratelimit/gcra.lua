-- One rate limit decision for every limit of a request, atomically.
--
-- KEYS[i] holds limit i's theoretical arrival time (TAT) in microseconds
-- of this server's clock. ARGV[3i-2], ARGV[3i-1] and ARGV[3i] are limit
-- i's emission interval and tolerance (burst x interval) in microseconds,
-- and how many requests the decision asks of it at once: 1, or a lease's
-- size. Either every limit admits the request and every TAT advances, by
-- as many intervals as the limit grants of what was asked (at least one,
-- as many as fit within the tolerance), each key expiring when its TAT
-- passes (from then on it is the same as an absent key), or nothing is
-- written.
--
-- Returns {admitted (1 or 0), now, tat_1, ..., tat_n, granted_1, ...,
-- granted_n}: the TATs as they were before the request, from which the
-- gateway derives the same decisions with the same arithmetic
-- (ratelimit.Limit.Lease), and the requests each limit granted (0 for
-- all when not admitted), which it checks against its own.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local before = {}
local start = {}
local granted = {}
local admitted = 1
for i = 1, n do
  local interval = tonumber(ARGV[3 * i - 2])
  local tolerance = tonumber(ARGV[3 * i - 1])
  local want = tonumber(ARGV[3 * i])
  local tat = tonumber(redis.call('GET', KEYS[i])) or 0
  before[i] = tat
  -- A TAT in the past: the whole burst is back. One further ahead than
  -- the tolerance allows (this server's clock went back, or the limit was
  -- lowered): the key counts as exhausted, for one burst's refill at most.
  if tat < now then tat = now end
  if tat > now + tolerance then tat = now + tolerance end
  start[i] = tat
  if tat + interval - now > tolerance then admitted = 0 end
  granted[i] = 1
  if want > 1 then
    -- The slots that fit: start + k x interval - now <= tolerance. fmod
    -- is exact on these integers, where a floor of the quotient might
    -- round up.
    local room = tolerance - (tat - now)
    local fit = (room - math.fmod(room, interval)) / interval
    if fit < want then granted[i] = fit else granted[i] = want end
  end
end
if admitted == 1 then
  for i = 1, n do
    local tat = start[i] + granted[i] * tonumber(ARGV[3 * i - 2])
    redis.call('SET', KEYS[i], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000))
  end
end
local out = {admitted, now}
for i = 1, n do out[i + 2] = before[i] end
for i = 1, n do
  if admitted == 1 then out[n + i + 2] = granted[i] else out[n + i + 2] = 0 end
end
return out
