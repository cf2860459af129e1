-- Shared by the wrk scripts: each wrk thread takes its own share of the lines of a file (one request target per
-- line), so no two connections act on the same item.
local paths = {}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function load_paths(file, id, count)
  local list = {}
  local n = 0
  for line in io.lines(file) do
    if n % count == id then table.insert(list, line) end
    n = n + 1
  end
  return list
end
