-- One rate limit decision for every limit of a request, atomically.
--
-- KEYS[i] holds limit i's theoretical arrival time (TAT) in microseconds
-- of this server's clock. ARGV[2i-1] and ARGV[2i] are limit i's emission
-- interval and tolerance (burst x interval) in microseconds. Either every
-- limit admits the request and every TAT advances, each key expiring when
-- its TAT passes (from then on it is the same as an absent key), or
-- nothing is written.
--
-- Returns {admitted (1 or 0), now, tat_1, ..., tat_n}: the TATs as they
-- were before the request, from which the gateway derives the same
-- decisions with the same arithmetic (ratelimit.Limit.Decide).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local before = {}
local start = {}
local admitted = 1
for i = 1, n do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i])) or 0
  before[i] = tat
  -- A TAT in the past: the whole burst is back. One further ahead than
  -- the tolerance allows (this server's clock went back, or the limit was
  -- lowered): the key counts as exhausted, for one burst's refill at most.
  if tat < now then tat = now end
  if tat > now + tolerance then tat = now + tolerance end
  start[i] = tat
  if tat + interval - now > tolerance then admitted = 0 end
end
if admitted == 1 then
  for i = 1, n do
    local tat = start[i] + tonumber(ARGV[2 * i - 1])
    redis.call('SET', KEYS[i], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000))
  end
end
local out = {admitted, now}
for i = 1, n do out[i + 2] = before[i] end
return out
