# Jobs that test_blocking_apps.py runs with Sidekiq through shardis: each job appends its
# argument to the list named by SIDEKIQ_DONE, so the test can count what ran.
require "sidekiq"

class RecordJob
  include Sidekiq::Worker

  def perform(n)
    Sidekiq.redis { |r| r.rpush(ENV.fetch("SIDEKIQ_DONE"), n.to_s) }
  end
end

# `ruby sidekiq_jobs.rb QUEUE... COUNT` enqueues COUNT jobs, round-robin over the queues.
if $PROGRAM_NAME == __FILE__
  *queues, count = ARGV
  count.to_i.times do |n|
    Sidekiq::Client.push("class" => RecordJob, "queue" => queues[n % queues.size], "args" => [n])
  end
end
