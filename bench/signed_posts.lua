-- wrk script: POST pre-signed room messages (one body per line of $BODIES, each used once),
-- rotating X-Forwarded-For so that per-IP buckets do not dominate. Thread k takes lines
-- k, k+T, k+2T, … so no two requests share a nonce.
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  bodies = {}
  local i = 0
  for line in io.lines(os.getenv("BODIES")) do
    if i % nthreads == id then table.insert(bodies, line) end
    i = i + 1
  end
  path = "/api/rooms/" .. os.getenv("ROOM") .. "/messages"
  n = 0
end
function request()
  n = n + 1
  local body = bodies[((n - 1) % #bodies) + 1]
  local k = (n * 7 + id * 1000) % 2000
  local hdr = { ["Content-Type"] = "application/json",
                ["X-Forwarded-For"] = string.format("127.30.%d.%d", math.floor(k / 250), (k % 250) + 1) }
  return wrk.format("POST", path, hdr, body)
end
