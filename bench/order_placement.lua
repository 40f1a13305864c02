-- The load of bench/order_placement.py: wrk places orders, this script makes them.
--
-- wrk -s bench/order_placement.lua <url> -- <data file>
--
-- The data file (written by order_placement.py) has sections `[settings]`
-- (`name value` lines: max_lines, max_quantity, decline_share, seed),
-- `[tokens]` (one customer access token a line) and `[products]` (one product
-- id a line). Each request is an order of 1..max_lines distinct random
-- products, 1..max_quantity units each, for a random customer; a share
-- `decline_share` pays with a declined card. Each thread counts the answers
-- by status and the units of each product in the 201 answers; `done` adds the
-- threads up and prints one line `ORDERS {json}` for the Python side.

tokens, products = {}, {}
max_lines, max_quantity, decline_share, seed = 1, 1, 0, 1
counts, units = {}, {}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  local section
  for line in io.lines(args[1]) do
    if line:sub(1, 1) == "[" then
      section = line
    elseif section == "[settings]" then
      local name, value = line:match("^(%S+) (%S+)$")
      if name == "max_lines" then max_lines = tonumber(value)
      elseif name == "max_quantity" then max_quantity = tonumber(value)
      elseif name == "decline_share" then decline_share = tonumber(value)
      elseif name == "seed" then seed = tonumber(value) end
    elseif section == "[tokens]" and line ~= "" then
      table.insert(tokens, line)
    elseif section == "[products]" and line ~= "" then
      table.insert(products, line)
    end
  end
  math.randomseed(seed * 1000 + thread_number)
end

function request()
  local lines = math.random(1, math.min(max_lines, #products))
  local chosen, items = {}, {}
  while #items < lines do
    local product = products[math.random(#products)]
    if not chosen[product] then
      chosen[product] = true
      items[#items + 1] = '{"product_id":"' .. product .. '","quantity":'
        .. math.random(1, max_quantity) .. '}'
    end
  end
  local card = "tok_visa"
  if math.random() < decline_share then card = "tok_chargeDeclined" end
  local body = '{"items":[' .. table.concat(items, ",") .. '],"payment":{"method":"card",'
    .. '"token":"' .. card .. '"}}'
  return wrk.format("POST", "/api/v1/orders", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
  }, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 201 then
    for product, quantity in body:gmatch('"product_id":"([%x%-]+)".-"quantity":(%d+)') do
      units[product] = (units[product] or 0) + tonumber(quantity)
    end
  end
end

local function json_object(map)
  local parts = {}
  for key, value in pairs(map) do
    parts[#parts + 1] = '"' .. tostring(key) .. '":' .. tostring(value)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local all_counts, all_units = {}, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      all_counts[status] = (all_counts[status] or 0) + n
    end
    for product, n in pairs(thread:get("units")) do
      all_units[product] = (all_units[product] or 0) + n
    end
  end
  io.write("ORDERS {\"counts\":" .. json_object(all_counts) .. ",\"units\":"
    .. json_object(all_units) .. ",\"p90_us\":" .. latency:percentile(90)
    .. ",\"max_us\":" .. latency.max .. ",\"mean_us\":" .. latency.mean .. "}\n")
end
